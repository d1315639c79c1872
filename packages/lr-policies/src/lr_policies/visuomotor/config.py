"""The visuomotor policy's configuration (no torch).

A compact policy for learning from cameras on a CPU in minutes: per camera a small
convolutional encoder ending in spatial soft-argmax keypoints (Levine et al., 2016, "End-to-End
Training of Deep Visuomotor Policies"), concatenated with the joint state and mapped by an MLP
to a chunk of future actions, run with ACT's action queue or temporal ensembling (Zhao et al.,
2023). Training regresses the chunk with an L1 loss, as ACT does without its VAE.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import (
    Field,
    NonNegativeFloat,
    NonNegativeInt,
    PositiveFloat,
    PositiveInt,
    model_validator,
)

from lr_core.errors import ConfigError
from lr_policies.policy_config import LeRobotPolicyConfig, NormalizationMode


def _normalization() -> dict[str, NormalizationMode]:
    return {
        "VISUAL": NormalizationMode.MEAN_STD,
        "STATE": NormalizationMode.MEAN_STD,
        "ACTION": NormalizationMode.MEAN_STD,
    }


class VisuomotorConfig(LeRobotPolicyConfig):
    """Visuomotor policy: small CNN + spatial soft-argmax per camera, MLP to an action chunk.

    Inputs: one or more cameras (``observation.images.*``), optionally ``observation.state`` and
    ``observation.environment_state``. Output: ``action``.

    - ``vision_channels`` / ``vision_strides``: the convolutions (3×3, ReLU) of each camera's
      encoder; the feature map after them has ``H / prod(strides)`` rows.
    - ``spatial_softmax_num_keypoints``: keypoints per camera (each an expected (x, y) position).
    - ``random_shift``: in training, each image is padded by this many pixels (edge values) and
      cropped back at a random offset (DrQ's augmentation, Kostrikov et al., 2020); 0 disables.
    - ``hidden_dims``: the MLP's hidden layer widths; ``dropout`` after each.
    - ``chunk_size``, ``n_action_steps``, ``temporal_ensemble_coeff``: as ACT's.
    """

    type: Literal["visuomotor"] = "visuomotor"
    implementation: ClassVar[str] = "lr_policies.visuomotor.model:VisuomotorPolicy"

    n_obs_steps: PositiveInt = 1
    """Observation frames per step; visuomotor uses only the current one (1)."""
    chunk_size: PositiveInt = 20
    """Actions predicted per model call."""
    n_action_steps: PositiveInt = 1
    """Actions of each chunk executed before the next model call (at most chunk_size)."""
    temporal_ensemble_coeff: float | None = 0.01
    """Temporal ensembling weight k (ACT's): query the model every step and average overlapping
    chunks with weights exp(-k i); needs n_action_steps=1 (null: off)."""
    normalization_mapping: dict[str, NormalizationMode] = _normalization()
    """Normalisation per feature type (VISUAL, STATE, ACTION): MEAN_STD, MIN_MAX, QUANTILES,
    QUANTILE10 or IDENTITY."""

    vision_channels: tuple[PositiveInt, ...] = (16, 32, 32, 32)
    """Output channels of each 3x3 convolution of a camera's encoder."""
    vision_strides: tuple[int, ...] = (2, 2, 1, 1)
    """Stride (1 or 2) of each of those convolutions."""
    spatial_softmax_num_keypoints: PositiveInt = 32
    """Keypoints per camera (each an expected (x, y) image position)."""
    random_shift: NonNegativeInt = 4
    """Training augmentation: pad each image by this many pixels and crop back at a random
    offset (DrQ); 0 disables."""
    hidden_dims: tuple[PositiveInt, ...] = (512, 512)
    """Hidden layer widths of the MLP from keypoints and state to the action chunk."""
    dropout: float = Field(default=0.0, ge=0.0, lt=1.0)
    """Dropout after each hidden layer of the MLP."""

    optimizer_lr: PositiveFloat = 1e-3
    """Learning rate of the policy's training preset (AdamW)."""
    optimizer_weight_decay: NonNegativeFloat = 1e-4
    """Weight decay of the policy's training preset."""
    optimizer_grad_clip_norm: PositiveFloat = 10.0
    """Gradient clipping norm of the policy's training preset."""
    scheduler_warmup_steps: NonNegativeInt = 200
    """Linear warm-up steps before the cosine decay of the learning rate."""

    @model_validator(mode="after")
    def _check(self) -> VisuomotorConfig:
        if len(self.vision_channels) != len(self.vision_strides) or not self.vision_channels:
            raise ValueError(
                "vision_channels and vision_strides must be non-empty and of one length, got "
                f"{self.vision_channels} and {self.vision_strides}"
            )
        if any(s not in (1, 2) for s in self.vision_strides):
            raise ValueError(f"vision_strides must be 1 or 2, got {self.vision_strides}")
        return self

    def validate_windows(self) -> None:
        """One observation step, ``n_action_steps`` <= ``chunk_size``, and
        ``n_action_steps == 1`` with temporal ensembling (ACT's relations)."""
        if self.temporal_ensemble_coeff is not None and self.n_action_steps > 1:
            raise ValueError(
                "n_action_steps must be 1 when temporal_ensemble_coeff is set "
                f"(got n_action_steps={self.n_action_steps})"
            )
        if self.n_action_steps > self.chunk_size:
            raise ValueError(
                f"n_action_steps ({self.n_action_steps}) must be in 1..chunk_size "
                f"({self.chunk_size})"
            )
        if self.n_obs_steps != 1:
            raise ValueError(
                f"visuomotor uses one observation step; got n_obs_steps={self.n_obs_steps}"
            )
        super().validate_windows()

    @property
    def action_delta_indices(self) -> list[int]:
        """Load ``chunk_size`` future actions per sample."""
        return list(range(self.chunk_size))

    def get_scheduler_preset(self) -> dict[str, Any]:
        """Cosine decay to 0 at the last step after ``scheduler_warmup_steps`` of warm-up."""
        return {"type": "cosine", "num_warmup_steps": self.scheduler_warmup_steps}

    def validate_features(self) -> None:
        """Needs at least one camera, cameras of 3 channels, and an ``action`` output."""
        if not self.image_features:
            raise ConfigError(
                "visuomotor needs at least one camera (observation.images.*) among "
                f"input_features; got {sorted(self.input_features)}"
            )
        for key, ft in self.image_features.items():
            if len(ft.shape) != 3 or ft.shape[0] != 3:
                raise ConfigError(f"camera {key} must have shape (3, H, W), got {ft.shape}")
        if self.action_feature is None:
            raise ConfigError(
                f"visuomotor needs an 'action' output feature; got {sorted(self.output_features)}"
            )
