"""π0's configuration: LeRobot 0.6.1's ``PI0Config`` field names and defaults (no torch).

Black et al., "π0: A Vision-Language-Action Flow Model for General Robot Control" (2024),
https://arxiv.org/abs/2410.24164, ported by LeRobot from openpi. A PaliGemma-3B backbone
(SigLIP so400m/14 + Gemma 2B) and a Gemma-300M action expert share every attention layer; 50
actions are sampled in 10 flow-matching steps.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, model_validator

from lr_policies.flow_config import FlowMatchingVLAConfig
from lr_policies.policy_config import NormalizationMode

#: PaliGemma's input resolution (openpi's ``preprocessing_pytorch.py``).
DEFAULT_IMAGE_SIZE = 224
#: The tokenizer LeRobot's π0/π0.5 processors name.
PALIGEMMA_TOKENIZER = "google/paligemma-3b-pt-224"
GEMMA_VARIANT_NAMES = ("gemma_300m", "gemma_2b")


def _mean_std() -> dict[str, NormalizationMode]:
    return {
        "VISUAL": NormalizationMode.IDENTITY,
        "STATE": NormalizationMode.MEAN_STD,
        "ACTION": NormalizationMode.MEAN_STD,
    }


class PI0Config(FlowMatchingVLAConfig):
    """π0 (LeRobot's ``pi0``).

    Inputs: cameras (resized with centred padding to ``image_resolution``), ``observation.state``
    (padded to ``max_state_dim``, fed to the action expert as one token) and the ``task``
    (tokenised to ``tokenizer_max_length`` tokens). Output: ``action`` chunks of ``chunk_size``.

    - ``paligemma_variant`` / ``action_expert_variant``: ``"gemma_2b"`` or ``"gemma_300m"``.
    - ``dtype``: ``"float32"`` or ``"bfloat16"`` (the vision tower, projector and norms stay in
      float32, as LeRobot keeps them).
    - ``num_inference_steps`` Euler steps; flow-matching times are drawn from
      Beta(``time_sampling_beta_alpha``, ``time_sampling_beta_beta``) · scale + offset.
    - ``use_relative_actions``: actions relative to the state (``relative_exclude_joints`` stay
      absolute; ``action_feature_names`` is filled from the dataset).
    - ``gradient_checkpointing``: recompute activations in the backward pass (less memory).
    """

    type: Literal["pi0"] = "pi0"
    implementation: ClassVar[str] = "lr_policies.pi0.model:PI0Policy"
    processor_factory: ClassVar[str] = "lr_policies.pi0.processor:make_pi0_pre_post_processors"

    paligemma_variant: str = "gemma_2b"
    action_expert_variant: str = "gemma_300m"
    dtype: str = "float32"

    num_inference_steps: int = Field(10, ge=1, le=1000)
    time_sampling_beta_alpha: float = Field(1.5, gt=0)
    time_sampling_beta_beta: float = Field(1.0, gt=0)
    time_sampling_scale: float = Field(0.999, gt=0)
    time_sampling_offset: float = Field(0.001, ge=0)
    min_period: float = Field(4e-3, gt=0)
    max_period: float = Field(4.0, gt=0)

    use_relative_actions: bool = False
    relative_exclude_joints: list[str] = ["gripper"]
    action_feature_names: list[str] | None = None

    image_resolution: tuple[int, int] = (DEFAULT_IMAGE_SIZE, DEFAULT_IMAGE_SIZE)
    normalization_mapping: dict[str, NormalizationMode] = _mean_std()
    gradient_checkpointing: bool = False
    tokenizer_max_length: int = Field(48, ge=1, le=8192)

    @model_validator(mode="after")
    def _check(self) -> PI0Config:
        for name in ("paligemma_variant", "action_expert_variant"):
            if getattr(self, name) not in GEMMA_VARIANT_NAMES:
                raise ValueError(
                    f"{name} must be one of {GEMMA_VARIANT_NAMES}, got {getattr(self, name)!r}"
                )
        if self.dtype not in ("bfloat16", "float32"):
            raise ValueError(f"dtype must be 'bfloat16' or 'float32', got {self.dtype!r}")
        height, width = self.image_resolution
        if height != width or height < 1:
            raise ValueError(
                f"image_resolution must be square and positive (PaliGemma), got "
                f"{self.image_resolution}"
            )
        if self.min_period >= self.max_period:
            raise ValueError(
                f"min_period ({self.min_period}) must be below max_period ({self.max_period})"
            )
        return self

    def empty_camera_shape(self) -> tuple[int, int, int]:
        return (3, *self.image_resolution)
