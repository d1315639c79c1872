"""Diffusion Policy's configuration: LeRobot 0.6.1's ``DiffusionConfig`` names and defaults
(no torch). LeRobot 0.4.4 files (other defaults, no ``gradient_checkpointing``) validate too."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import model_validator

from lr_core.errors import ConfigError
from lr_policies.policy_config import LeRobotPolicyConfig, NormalizationMode


def _diffusion_normalization() -> dict[str, NormalizationMode]:
    return {
        "VISUAL": NormalizationMode.MEAN_STD,
        "STATE": NormalizationMode.MIN_MAX,
        "ACTION": NormalizationMode.MIN_MAX,
    }


class DiffusionConfig(LeRobotPolicyConfig):
    """Diffusion Policy (Chi et al., 2023) with a 1-D convolutional U-Net.

    Inputs: ``observation.state`` (required), cameras (``observation.images.*``, one shape) and/or
    ``observation.environment_state``, each over ``n_obs_steps`` frames. The model denoises
    ``horizon`` actions starting at the oldest observation and executes ``n_action_steps`` of
    them from the current step.

    - Images: optionally resized (``resize_shape``), then cropped to ``crop_shape`` (random in
      training when ``crop_is_random``, centre at inference); with ``resize_shape`` set,
      ``crop_shape`` follows from ``crop_ratio``.
    - ``noise_scheduler_type``: ``"DDPM"`` or ``"DDIM"``; ``num_inference_steps`` ``None``
      means ``num_train_timesteps``.
    - ``pretrained_backbone_weights``: as in :class:`lr_policies.act.config.ACTConfig`.
    """

    type: Literal["diffusion"] = "diffusion"
    implementation: ClassVar[str] = "lr_policies.diffusion.model:DiffusionPolicy"

    n_obs_steps: int = 2
    horizon: int = 64
    n_action_steps: int = 32
    normalization_mapping: dict[str, NormalizationMode] = _diffusion_normalization()
    drop_n_last_frames: int = 7

    vision_backbone: str = "resnet18"
    resize_shape: tuple[int, int] | None = None
    crop_ratio: float = 1.0
    crop_shape: tuple[int, int] | None = None
    crop_is_random: bool = True
    pretrained_backbone_weights: str | None = "ResNet18_Weights.IMAGENET1K_V1"
    use_group_norm: bool = False
    spatial_softmax_num_keypoints: int = 32
    use_separate_rgb_encoder_per_camera: bool = True

    down_dims: tuple[int, ...] = (512, 1024, 2048)
    kernel_size: int = 5
    n_groups: int = 8
    diffusion_step_embed_dim: int = 128
    use_film_scale_modulation: bool = True
    gradient_checkpointing: bool = False

    noise_scheduler_type: str = "DDPM"
    num_train_timesteps: int = 100
    beta_schedule: str = "squaredcos_cap_v2"
    beta_start: float = 0.0001
    beta_end: float = 0.02
    prediction_type: str = "epsilon"
    clip_sample: bool = True
    clip_sample_range: float = 1.0

    num_inference_steps: int | None = None

    compile_model: bool = False
    compile_mode: str = "reduce-overhead"

    do_mask_loss_for_padding: bool = False

    optimizer_lr: float = 1e-4
    optimizer_betas: tuple[float, float] = (0.95, 0.999)
    optimizer_eps: float = 1e-8
    optimizer_weight_decay: float = 1e-6
    scheduler_name: str = "cosine"
    scheduler_warmup_steps: int = 500

    @model_validator(mode="after")
    def _check(self) -> DiffusionConfig:
        if not self.vision_backbone.startswith("resnet"):
            raise ValueError(
                f"vision_backbone must be a ResNet variant, got {self.vision_backbone!r}"
            )
        if self.prediction_type not in ("epsilon", "sample"):
            raise ValueError(
                f"prediction_type must be 'epsilon' or 'sample', got {self.prediction_type!r}"
            )
        if self.noise_scheduler_type not in ("DDPM", "DDIM"):
            raise ValueError(
                f"noise_scheduler_type must be 'DDPM' or 'DDIM', got {self.noise_scheduler_type!r}"
            )
        if self.beta_schedule not in ("linear", "scaled_linear", "squaredcos_cap_v2", "sigmoid"):
            raise ValueError(
                "beta_schedule must be 'linear', 'scaled_linear', 'squaredcos_cap_v2' or "
                f"'sigmoid', got {self.beta_schedule!r}"
            )
        if self.resize_shape is not None and any(d <= 0 for d in self.resize_shape):
            raise ValueError(f"resize_shape must be two positive ints, got {self.resize_shape}")
        if not 0 < self.crop_ratio <= 1.0:
            raise ValueError(f"crop_ratio must be in (0, 1], got {self.crop_ratio}")
        if self.resize_shape is not None:
            # As LeRobot: with a resize, the crop follows from crop_ratio (none at 1.0).
            crop = None
            if self.crop_ratio < 1.0:
                crop = (
                    int(self.resize_shape[0] * self.crop_ratio),
                    int(self.resize_shape[1] * self.crop_ratio),
                )
            object.__setattr__(self, "crop_shape", crop)
        if self.crop_shape is not None and min(self.crop_shape) <= 0:
            raise ValueError(f"crop_shape must have positive dimensions, got {self.crop_shape}")
        factor = 2 ** len(self.down_dims)
        if self.horizon % factor:
            raise ValueError(
                f"horizon ({self.horizon}) must be a multiple of 2**len(down_dims) = {factor}"
            )
        if self.num_inference_steps is not None and not (
            0 < self.num_inference_steps <= self.num_train_timesteps
        ):
            raise ValueError(
                f"num_inference_steps must be in 1..num_train_timesteps "
                f"({self.num_train_timesteps}), got {self.num_inference_steps}"
            )
        return self

    @property
    def observation_delta_indices(self) -> list[int]:
        """The ``n_obs_steps`` frames ending at the current one."""
        return list(range(1 - self.n_obs_steps, 1))

    @property
    def action_delta_indices(self) -> list[int]:
        """``horizon`` actions starting at the oldest observation."""
        return list(range(1 - self.n_obs_steps, 1 - self.n_obs_steps + self.horizon))

    def validate_features(self) -> None:
        """Needs ``observation.state``, a camera or env state, an ``action`` output, and
        cameras of one shape that the crop fits in."""
        if self.robot_state_feature is None:
            raise ConfigError(
                "Diffusion Policy needs 'observation.state' among input_features; got "
                f"{sorted(self.input_features)}"
            )
        if not self.image_features and self.env_state_feature is None:
            raise ConfigError(
                "Diffusion Policy needs at least one camera (observation.images.*) or "
                f"observation.environment_state; got {sorted(self.input_features)}"
            )
        if self.action_feature is None:
            raise ConfigError(
                f"Diffusion Policy needs an 'action' output; got {sorted(self.output_features)}"
            )
        shapes = {key: ft.shape for key, ft in self.image_features.items()}
        if len(set(shapes.values())) > 1:
            raise ConfigError(f"all cameras must share one shape, got {shapes}")
        if self.resize_shape is None and self.crop_shape is not None:
            for key, shape in shapes.items():
                if self.crop_shape[0] > shape[1] or self.crop_shape[1] > shape[2]:
                    raise ConfigError(
                        f"crop_shape {self.crop_shape} does not fit in {key} of shape {shape}"
                    )
