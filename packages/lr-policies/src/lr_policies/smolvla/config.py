"""SmolVLA's configuration: LeRobot 0.6.1's ``SmolVLAConfig`` field names and defaults (no torch).

Shukor et al., "SmolVLA: A Vision-Language-Action Model for Affordable and Efficient Robotics"
(2025), https://arxiv.org/abs/2506.01844. Defaults are those of ``lerobot/smolvla_base``: the
first 16 layers of SmolVLM2-500M, an action expert 0.75× as wide that cross-attends to the VLM
every other layer, chunks of 50 actions sampled in 10 flow-matching steps.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, model_validator

from lr_policies.flow_config import FlowMatchingVLAConfig
from lr_policies.policy_config import NormalizationMode

#: The VLM LeRobot's SmolVLA is built on; its config.json ships with lr (smolvla/vlm_configs/).
SMOLVLM2_500M = "HuggingFaceTB/SmolVLM2-500M-Video-Instruct"


def _smolvla_normalization() -> dict[str, NormalizationMode]:
    return {
        "VISUAL": NormalizationMode.IDENTITY,
        "STATE": NormalizationMode.MEAN_STD,
        "ACTION": NormalizationMode.MEAN_STD,
    }


class SmolVLAConfig(FlowMatchingVLAConfig):
    """SmolVLA: a SmolVLM2 backbone cut to ``num_vlm_layers`` plus a flow-matching action expert.

    Inputs: cameras (``observation.images.*``, resized with padding to
    ``resize_imgs_with_padding``), ``observation.state`` (padded to ``max_state_dim``) and the
    ``task`` string (tokenised by the pre-processor, ``tokenizer_max_length`` tokens). Output:
    ``action`` chunks of ``chunk_size``.

    - ``vlm_model_name``: a Hub id or a local folder holding the VLM's ``config.json`` (and its
      tokenizer). The default's config ships with lr, so the architecture builds offline; its
      tokenizer comes from the Hub cache or a local folder.
    - ``load_vlm_weights``: start from the VLM's pretrained weights (``from_pretrained`` of a
      SmolVLA checkpoint does not need them: the checkpoint holds every weight).
    - ``attention_mode`` ``"cross_attn"``: expert layers cross-attend to the VLM's keys/values,
      except every ``self_attn_every_n_layers``-th layer, which attends to the joint sequence.
    - ``num_expert_layers`` ≤ 0: as many expert layers as VLM layers (else a divisor of it).
    - ``expert_width_multiplier``: the expert's hidden size relative to the VLM's.
    - ``freeze_vision_encoder`` / ``train_expert_only`` / ``train_state_proj``: what fine-tuning
      trains (defaults: the expert, the projections and the state projection only).
    """

    type: Literal["smolvla"] = "smolvla"
    implementation: ClassVar[str] = "lr_policies.smolvla.model:SmolVLAPolicy"
    processor_factory: ClassVar[str] = (
        "lr_policies.smolvla.processor:make_smolvla_pre_post_processors"
    )

    normalization_mapping: dict[str, NormalizationMode] = _smolvla_normalization()

    resize_imgs_with_padding: tuple[int, int] | None = (512, 512)
    adapt_to_pi_aloha: bool = False
    use_delta_joint_actions_aloha: bool = False
    tokenizer_max_length: int = Field(48, ge=1, le=8192)
    num_steps: int = Field(10, ge=1, le=1000)
    use_cache: bool = True

    freeze_vision_encoder: bool = True
    train_expert_only: bool = True
    train_state_proj: bool = True

    optimizer_lr: float = Field(1e-4, gt=0)
    optimizer_betas: tuple[float, float] = (0.9, 0.95)
    optimizer_eps: float = Field(1e-8, gt=0)
    optimizer_weight_decay: float = Field(1e-10, ge=0)
    optimizer_grad_clip_norm: float = 10.0
    scheduler_warmup_steps: int = Field(1_000, ge=0)
    scheduler_decay_steps: int = Field(30_000, ge=1)
    scheduler_decay_lr: float = Field(2.5e-6, ge=0)

    vlm_model_name: str = SMOLVLM2_500M
    load_vlm_weights: bool = False
    add_image_special_tokens: bool = False
    attention_mode: str = "cross_attn"
    prefix_length: int = Field(-1, ge=-1)
    """Pad the prefix (images + language + state) to this many tokens; -1 or 0: no padding."""
    pad_language_to: str = "longest"
    num_expert_layers: int = Field(-1, ge=-1)
    """Action-expert layers (a divisor of num_vlm_layers); -1 or 0: one per VLM layer."""
    num_vlm_layers: int = Field(16, ge=-1)
    """SmolVLM text layers kept (the model is cut after them); -1: all of them."""
    self_attn_every_n_layers: int = Field(2, ge=0)
    """Every n-th expert layer attends to the joint sequence, the others cross-attend; 0: none."""
    expert_width_multiplier: float = Field(0.75, gt=0)
    min_period: float = Field(4e-3, gt=0)
    max_period: float = Field(4.0, gt=0)

    @model_validator(mode="after")
    def _check(self) -> SmolVLAConfig:
        if self.use_delta_joint_actions_aloha:
            raise ValueError(
                "use_delta_joint_actions_aloha is not implemented (nor in LeRobot 0.6.1); "
                "leave it false"
            )
        if self.resize_imgs_with_padding is not None and min(self.resize_imgs_with_padding) < 1:
            raise ValueError(
                f"resize_imgs_with_padding must be positive, got {self.resize_imgs_with_padding}"
            )
        if self.attention_mode not in ("cross_attn", "self_attn"):
            raise ValueError(
                f"attention_mode must be 'cross_attn' or 'self_attn', got {self.attention_mode!r}"
            )
        if self.pad_language_to not in ("longest", "max_length"):
            raise ValueError(
                f"pad_language_to must be 'longest' or 'max_length', got {self.pad_language_to!r}"
            )
        if self.num_vlm_layers == 0:
            raise ValueError("num_vlm_layers must be positive (or -1: all of the VLM's)")
        if self.min_period >= self.max_period:
            raise ValueError(
                f"min_period ({self.min_period}) must be below max_period ({self.max_period})"
            )
        return self

    @property
    def observation_delta_indices(self) -> list[int]:
        """The current frame, with a time axis (LeRobot's ``[0]``)."""
        return [0]
