"""The visuomotor policy's configuration (no torch).

A compact policy for learning from cameras on a CPU in minutes: per camera a small
convolutional encoder ending in spatial soft-argmax keypoints (Levine et al., 2016, "End-to-End
Training of Deep Visuomotor Policies"), concatenated with the joint state and mapped by an MLP
to a chunk of future actions, run with ACT's action queue or temporal ensembling (Zhao et al.,
2023). Training regresses the chunk with an L1 loss, as ACT does without its VAE.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import model_validator

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

    n_obs_steps: int = 1
    chunk_size: int = 20
    n_action_steps: int = 1
    temporal_ensemble_coeff: float | None = 0.01
    normalization_mapping: dict[str, NormalizationMode] = _normalization()

    vision_channels: tuple[int, ...] = (16, 32, 32, 32)
    vision_strides: tuple[int, ...] = (2, 2, 1, 1)
    spatial_softmax_num_keypoints: int = 32
    random_shift: int = 4
    hidden_dims: tuple[int, ...] = (512, 512)
    dropout: float = 0.0

    optimizer_lr: float = 1e-3
    optimizer_weight_decay: float = 1e-4
    optimizer_grad_clip_norm: float = 10.0
    scheduler_warmup_steps: int = 200

    @model_validator(mode="after")
    def _check(self) -> VisuomotorConfig:
        if len(self.vision_channels) != len(self.vision_strides) or not self.vision_channels:
            raise ValueError(
                "vision_channels and vision_strides must be non-empty and of one length, got "
                f"{self.vision_channels} and {self.vision_strides}"
            )
        if any(s not in (1, 2) for s in self.vision_strides):
            raise ValueError(f"vision_strides must be 1 or 2, got {self.vision_strides}")
        if self.temporal_ensemble_coeff is not None and self.n_action_steps > 1:
            raise ValueError(
                "n_action_steps must be 1 when temporal_ensemble_coeff is set "
                f"(got n_action_steps={self.n_action_steps})"
            )
        if not 1 <= self.n_action_steps <= self.chunk_size:
            raise ValueError(
                f"n_action_steps ({self.n_action_steps}) must be in 1..chunk_size "
                f"({self.chunk_size})"
            )
        if self.n_obs_steps != 1:
            raise ValueError(f"visuomotor uses one observation step; got {self.n_obs_steps}")
        if self.random_shift < 0:
            raise ValueError(f"random_shift must be >= 0, got {self.random_shift}")
        return self

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
