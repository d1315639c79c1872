"""ACT's configuration: LeRobot 0.6.1's ``ACTConfig`` field names and defaults (no torch).

Defaults are those of the ACT paper for bimanual ALOHA tasks: chunks of 100 actions, a 512-wide
transformer (4 encoder layers, 1 decoder layer), a CVAE with a 32-d latent and an
ImageNet-pretrained ResNet-18 backbone.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, NonNegativeFloat, PositiveInt, model_validator

from lr_core.errors import ConfigError
from lr_policies.policy_config import LeRobotPolicyConfig, NormalizationMode


def _act_normalization() -> dict[str, NormalizationMode]:
    return {
        "VISUAL": NormalizationMode.MEAN_STD,
        "STATE": NormalizationMode.MEAN_STD,
        "ACTION": NormalizationMode.MEAN_STD,
    }


class ACTConfig(LeRobotPolicyConfig):
    """Action Chunking Transformer.

    Inputs: at least one camera (``observation.images.*``, all the same shape) and/or
    ``observation.environment_state``; optionally ``observation.state``. Output: ``action``.

    - ``chunk_size``: actions predicted per model call; ``n_action_steps`` of them are executed
      before the next call (≤ ``chunk_size``).
    - ``temporal_ensemble_coeff``: when set (the paper uses 0.01), the model runs at every step
      and overlapping chunk predictions are averaged with weights ``exp(-coeff * i)``;
      requires ``n_action_steps == 1``.
    - ``pretrained_backbone_weights``: ``None``, a torchvision weights name
      (``"ResNet18_Weights.IMAGENET1K_V1"``, fetched as the Hub repo ``timm/resnet18.tv_in1k``),
      a Hub repo id, or a local ``.safetensors`` file / folder holding torchvision-named weights.
    - ``kl_weight``: weight of the KL term when ``use_vae`` (loss = L1 + kl_weight · KL).
    """

    type: Literal["act"] = "act"
    implementation: ClassVar[str] = "lr_policies.act.model:ACTPolicy"

    n_obs_steps: PositiveInt = 1
    """Observation frames per step; ACT uses only the current one (1)."""
    chunk_size: PositiveInt = 100
    """Actions predicted per model call."""
    n_action_steps: PositiveInt = 100
    """Actions of each chunk executed before the next model call (at most chunk_size)."""
    normalization_mapping: dict[str, NormalizationMode] = _act_normalization()
    """Normalisation per feature type (VISUAL, STATE, ACTION): MEAN_STD, MIN_MAX, QUANTILES,
    QUANTILE10 or IDENTITY."""

    vision_backbone: str = "resnet18"
    """torchvision ResNet variant encoding each camera (resnet18, resnet34, ...)."""
    pretrained_backbone_weights: str | None = "ResNet18_Weights.IMAGENET1K_V1"
    """Backbone initialisation: a torchvision weights name (fetched from the Hub as
    timm/resnet18.tv_in1k), a Hub repo id, a local .safetensors file or folder, or null for random
    weights."""
    replace_final_stride_with_dilation: bool = False
    """Replace the ResNet's last stride-2 with a dilated convolution (a 2x larger feature map)."""
    pre_norm: bool = False
    """Layer norm before (true) or after (false) each transformer sub-layer."""
    dim_model: PositiveInt = 512
    """Width of the transformer (and of the projected image features)."""
    n_heads: PositiveInt = 8
    """Attention heads per transformer layer (must divide dim_model)."""
    dim_feedforward: PositiveInt = 3200
    """Hidden width of the transformer's feed-forward layers."""
    feedforward_activation: str = "relu"
    """Activation of the feed-forward layers: relu, gelu or glu."""
    n_encoder_layers: PositiveInt = 4
    """Transformer encoder layers."""
    # The original ACT code builds 7 decoder layers but, through a bug, uses only the first.
    n_decoder_layers: PositiveInt = 1
    """Transformer decoder layers (the original ACT code used only 1 of its 7)."""
    use_vae: bool = True
    """Train with the CVAE objective (a latent style variable inferred from the action chunk)."""
    latent_dim: PositiveInt = 32
    """Size of the CVAE's latent variable."""
    n_vae_encoder_layers: PositiveInt = 4
    """Transformer layers of the CVAE encoder."""

    temporal_ensemble_coeff: float | None = None
    """Temporal ensembling weight k (the paper uses 0.01): query the model every step and average
    overlapping chunks with weights exp(-k i); needs n_action_steps=1 (null: off)."""

    dropout: float = Field(0.1, ge=0.0, lt=1.0)
    """Dropout in the transformer layers."""
    kl_weight: NonNegativeFloat = 10.0
    """Weight of the KL term of the CVAE loss (loss = L1 + kl_weight KL)."""

    optimizer_lr: float = 1e-5
    """Learning rate of the policy's training preset (AdamW)."""
    optimizer_weight_decay: float = 1e-4
    """Weight decay of the policy's training preset."""
    optimizer_lr_backbone: float = 1e-5
    """Learning rate of the vision backbone in the training preset."""

    @model_validator(mode="after")
    def _check(self) -> ACTConfig:
        if not self.vision_backbone.startswith("resnet"):
            raise ValueError(
                f"vision_backbone must be a ResNet variant, got {self.vision_backbone!r}"
            )
        if self.feedforward_activation not in ("relu", "gelu", "glu"):
            raise ValueError(
                "feedforward_activation must be 'relu', 'gelu' or 'glu', "
                f"got {self.feedforward_activation!r}"
            )
        if self.dim_model % self.n_heads:
            raise ValueError(
                f"dim_model ({self.dim_model}) must be divisible by n_heads ({self.n_heads})"
            )
        if self.dim_model % 2:
            # The 2-D sinusoidal embedding of the feature map gives dim_model/2 channels per axis.
            raise ValueError(f"dim_model ({self.dim_model}) must be even")
        return self

    def validate_windows(self) -> None:
        """LeRobot's ``__post_init__`` relations: ``n_action_steps`` ≤ ``chunk_size``, one
        observation step, and ``n_action_steps == 1`` with temporal ensembling."""
        if self.temporal_ensemble_coeff is not None and self.n_action_steps > 1:
            raise ValueError(
                "n_action_steps must be 1 when temporal_ensemble_coeff is set: the policy is "
                "queried every step to ensemble its chunks "
                f"(got n_action_steps={self.n_action_steps})"
            )
        if self.n_action_steps > self.chunk_size:
            raise ValueError(
                f"n_action_steps ({self.n_action_steps}) cannot exceed "
                f"chunk_size ({self.chunk_size})"
            )
        if self.n_obs_steps != 1:
            raise ValueError(f"ACT uses one observation step; got n_obs_steps={self.n_obs_steps}")
        super().validate_windows()

    @property
    def action_delta_indices(self) -> list[int]:
        """Load ``chunk_size`` future actions per sample."""
        return list(range(self.chunk_size))

    def validate_features(self) -> None:
        """ACT needs a camera or an environment state, and an ``action`` output."""
        if not self.image_features and not self.env_state_feature:
            raise ConfigError(
                "ACT needs at least one camera (observation.images.*) or "
                "observation.environment_state among input_features; got "
                f"{sorted(self.input_features)}"
            )
        if self.action_feature is None:
            raise ConfigError(
                f"ACT needs an 'action' output feature; got {sorted(self.output_features)}"
            )
