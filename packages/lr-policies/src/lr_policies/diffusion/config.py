"""Diffusion Policy's configuration: LeRobot 0.6.1's ``DiffusionConfig`` names and defaults
(no torch). LeRobot 0.4.4 files (other defaults, no ``gradient_checkpointing``) validate too."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import NonNegativeInt, PositiveInt, model_validator

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

    n_obs_steps: PositiveInt = 2
    """Observation frames per step: the current one and those before it."""
    horizon: PositiveInt = 64
    """Actions predicted per model call, from the oldest observation on (a multiple of
    2**len(down_dims))."""
    n_action_steps: PositiveInt = 32
    """Actions executed per model call, from the current step on (at most horizon - n_obs_steps +
    1)."""
    normalization_mapping: dict[str, NormalizationMode] = _diffusion_normalization()
    """Normalisation per feature type (VISUAL, STATE, ACTION): MEAN_STD, MIN_MAX, QUANTILES,
    QUANTILE10 or IDENTITY."""
    drop_n_last_frames: NonNegativeInt = 7
    """Frames at the end of each episode never used as a training sample's start."""

    vision_backbone: str = "resnet18"
    """torchvision ResNet variant encoding each camera (resnet18, ...)."""
    resize_shape: tuple[int, int] | None = None
    """Resize camera images to [height, width] before cropping (null: no resize)."""
    crop_ratio: float = 1.0
    """With resize_shape: the crop is this fraction of the resized image (1.0: no crop)."""
    crop_shape: tuple[int, int] | None = None
    """Crop camera images to [height, width] (random in training when crop_is_random, centred at
    inference; null: no crop)."""
    crop_is_random: bool = True
    """Crop at a random position in training (centred at inference)."""
    pretrained_backbone_weights: str | None = "ResNet18_Weights.IMAGENET1K_V1"
    """Backbone initialisation: a torchvision weights name, a Hub repo id, a local .safetensors file
    or folder, or null for random weights."""
    use_group_norm: bool = False
    """Replace the backbone's batch norm with group norm (needs random backbone weights)."""
    spatial_softmax_num_keypoints: PositiveInt = 32
    """Keypoints of the spatial soft-argmax pooling of each camera's features."""
    use_separate_rgb_encoder_per_camera: bool = True
    """One backbone per camera (true) or one shared by all (false)."""

    down_dims: tuple[PositiveInt, ...] = (512, 1024, 2048)
    """Channel widths of the U-Net's downsampling stages."""
    kernel_size: PositiveInt = 5
    """Kernel size of the U-Net's 1-D convolutions (odd)."""
    n_groups: PositiveInt = 8
    """Groups of the U-Net's group norm (must divide every down_dims entry)."""
    diffusion_step_embed_dim: PositiveInt = 128
    """Size of the diffusion-timestep embedding (even, at least 4)."""
    use_film_scale_modulation: bool = True
    """FiLM conditioning with a scale and a bias (true) or a bias only (false)."""
    gradient_checkpointing: bool = False
    """Recompute the U-Net's activations in the backward pass to save memory."""

    noise_scheduler_type: str = "DDPM"
    """Noise scheduler: DDPM or DDIM."""
    num_train_timesteps: PositiveInt = 100
    """Diffusion steps of the forward (noising) process."""
    beta_schedule: str = "squaredcos_cap_v2"
    """Noise schedule: linear, scaled_linear, squaredcos_cap_v2 or sigmoid."""
    beta_start: float = 0.0001
    """First beta of the noise schedule."""
    beta_end: float = 0.02
    """Last beta of the noise schedule."""
    prediction_type: str = "epsilon"
    """What the network predicts: epsilon (the noise) or sample (the clean actions)."""
    clip_sample: bool = True
    """Clip the denoised actions to +-clip_sample_range at each step."""
    clip_sample_range: float = 1.0
    """Bound of clip_sample."""

    num_inference_steps: PositiveInt | None = None
    """Denoising steps at inference (null: num_train_timesteps)."""

    compile_model: bool = False
    """Compile the U-Net with torch.compile."""
    compile_mode: str = "reduce-overhead"
    """torch.compile mode."""

    do_mask_loss_for_padding: bool = False
    """Leave padded actions (past an episode's end) out of the loss."""

    optimizer_lr: float = 1e-4
    """Learning rate of the policy's training preset (Adam)."""
    optimizer_betas: tuple[float, float] = (0.95, 0.999)
    """Adam betas of the training preset."""
    optimizer_eps: float = 1e-8
    """Adam epsilon of the training preset."""
    optimizer_weight_decay: float = 1e-6
    """Weight decay of the training preset."""
    scheduler_name: str = "cosine"
    """Learning-rate schedule of the training preset (cosine with warm-up)."""
    scheduler_warmup_steps: NonNegativeInt = 500
    """Warm-up steps of the preset's schedule."""

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
        if not self.down_dims:
            raise ValueError("down_dims must list at least one U-Net stage width")
        uneven = [d for d in self.down_dims if d % self.n_groups]
        if uneven:
            raise ValueError(
                f"every down_dims entry must be divisible by n_groups ({self.n_groups}) for the "
                f"U-Net's group norm; {uneven} are not"
            )
        if self.down_dims[0] % 8:
            # LeRobot's final convolution block keeps GroupNorm's default of 8 groups.
            raise ValueError(
                f"down_dims[0] ({self.down_dims[0]}) must be divisible by 8: the U-Net's final "
                "convolution block normalises it in 8 groups"
            )
        if self.kernel_size % 2 == 0:
            raise ValueError(
                f"kernel_size ({self.kernel_size}) must be odd: the U-Net's convolutions keep "
                "the sequence length with padding kernel_size // 2"
            )
        if self.diffusion_step_embed_dim % 2 or self.diffusion_step_embed_dim < 4:
            raise ValueError(
                "diffusion_step_embed_dim must be even and at least 4 (sin and cos halves of "
                f"the timestep embedding), got {self.diffusion_step_embed_dim}"
            )
        if self.num_inference_steps is not None and not (
            0 < self.num_inference_steps <= self.num_train_timesteps
        ):
            raise ValueError(
                f"num_inference_steps must be in 1..num_train_timesteps "
                f"({self.num_train_timesteps}), got {self.num_inference_steps}"
            )
        return self

    def validate_windows(self) -> None:
        """``horizon`` a multiple of the U-Net's downsampling factor (LeRobot's check), and the
        executed actions inside the predicted ones: ``n_action_steps ≤ horizon − n_obs_steps
        + 1`` (the chunk starts at the oldest observation; LeRobot silently runs fewer)."""
        factor = 2 ** len(self.down_dims)
        if self.horizon % factor:
            raise ValueError(
                f"horizon ({self.horizon}) must be a multiple of 2**len(down_dims) = {factor}"
            )
        ahead = self.horizon - self.n_obs_steps + 1
        if self.n_action_steps > ahead:
            raise ValueError(
                f"n_action_steps ({self.n_action_steps}) cannot exceed horizon - n_obs_steps + 1 "
                f"= {ahead} (horizon {self.horizon}, n_obs_steps {self.n_obs_steps}): the "
                "predicted chunk starts at the oldest observation"
            )
        super().validate_windows()

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
