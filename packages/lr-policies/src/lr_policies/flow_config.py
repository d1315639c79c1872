"""Fields and checks shared by the flow-matching VLA configs (SmolVLA, π0, π0.5); no torch.

Each config class keeps LeRobot 0.6.1's field names and defaults for its type; this base holds
the fields all three have (with the defaults they agree on), the window checks, the empty
cameras, and the optimizer/scheduler presets (AdamW with a cosine decay after a linear warm-up,
LeRobot's ``CosineDecayWithWarmupSchedulerConfig``).
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from lr_core.errors import ConfigError
from lr_core.features import FeatureType, PolicyFeature
from lr_policies.policy_config import OBS_IMAGES, LeRobotPolicyConfig
from lr_policies.rtc.config import RTCConfig

#: Batch keys the tokenizer step writes (LeRobot's OBS_LANGUAGE_TOKENS / ..._ATTENTION_MASK).
OBS_LANGUAGE_TOKENS = "observation.language.tokens"
OBS_LANGUAGE_ATTENTION_MASK = "observation.language.attention_mask"


class FlowMatchingVLAConfig(LeRobotPolicyConfig):
    """Base of the ``smolvla``, ``pi0`` and ``pi05`` configs.

    - ``chunk_size`` actions are denoised per call; ``n_action_steps`` (≤ ``chunk_size``) of
      them are executed before the next call.
    - ``max_state_dim`` / ``max_action_dim``: state and action vectors are zero-padded to these
      sizes inside the model (a checkpoint fixes them); shorter robots fit, longer ones do not.
    - ``empty_cameras``: extra all-black (masked) camera slots, for checkpoints trained with more
      cameras than the robot has.
    - ``rtc_config``: real-time chunking (:mod:`lr_policies.rtc`), off when ``None``.
    - ``freeze_vision_encoder`` / ``train_expert_only``: fine-tuning options (the vision encoder,
      or the whole VLM, get no gradient).
    """

    n_obs_steps: int = Field(1, ge=1, le=1)
    chunk_size: int = Field(50, ge=1, le=1000)
    n_action_steps: int = Field(50, ge=1, le=1000)
    max_state_dim: int = Field(32, ge=1, le=4096)
    max_action_dim: int = Field(32, ge=1, le=4096)
    empty_cameras: int = Field(0, ge=0, le=16)
    tokenizer_max_length: int = Field(48, ge=1, le=8192)
    rtc_config: RTCConfig | None = None
    compile_model: bool = False
    compile_mode: str = "max-autotune"

    freeze_vision_encoder: bool = False
    train_expert_only: bool = False

    optimizer_lr: float = Field(2.5e-5, gt=0)
    optimizer_betas: tuple[float, float] = (0.9, 0.95)
    optimizer_eps: float = Field(1e-8, gt=0)
    optimizer_weight_decay: float = Field(0.01, ge=0)
    optimizer_grad_clip_norm: float = 1.0
    scheduler_warmup_steps: int = Field(1_000, ge=0)
    scheduler_decay_steps: int = Field(30_000, ge=1)
    scheduler_decay_lr: float = Field(2.5e-6, ge=0)

    def validate_windows(self) -> None:
        """``n_action_steps`` and RTC's ``execution_horizon`` fit in ``chunk_size``; then the
        rules every policy shares."""
        if self.n_action_steps > self.chunk_size:
            raise ValueError(
                f"n_action_steps ({self.n_action_steps}) cannot exceed chunk_size "
                f"({self.chunk_size}): a call denoises chunk_size actions"
            )
        if self.rtc_config is not None and self.rtc_config.execution_horizon > self.chunk_size:
            raise ValueError(
                f"rtc_config.execution_horizon ({self.rtc_config.execution_horizon}) cannot "
                f"exceed chunk_size ({self.chunk_size})"
            )
        super().validate_windows()

    # ----------------------------------------------------------------- features

    def empty_camera_shape(self) -> tuple[int, int, int]:
        """(C, H, W) of the empty camera slots LeRobot adds to ``input_features``."""
        return (3, 480, 640)

    @property
    def camera_keys(self) -> list[str]:
        """The camera slots the model fills: the config's cameras, then the empty ones
        (``observation.images.empty_camera_<i>``) LeRobot adds, when not already listed."""
        keys = list(self.image_features)
        for i in range(self.empty_cameras):
            key = f"{OBS_IMAGES}.empty_camera_{i}"
            if key not in keys:
                keys.append(key)
        return keys

    def with_empty_cameras(self) -> dict[str, PolicyFeature]:
        """``input_features`` with the empty camera slots added, as LeRobot saves them."""
        features = dict(self.input_features)
        for key in self.camera_keys:
            if key not in features:
                features[key] = PolicyFeature(
                    type=FeatureType.VISUAL, shape=self.empty_camera_shape()
                )
        return features

    @property
    def action_delta_indices(self) -> list[int]:
        """Load ``chunk_size`` future actions per sample."""
        return list(range(self.chunk_size))

    def validate_features(self) -> None:
        """A camera (or an empty camera slot) and an ``action`` output of at most
        ``max_action_dim``; a state of at most ``max_state_dim``."""
        if not self.camera_keys:
            raise ConfigError(
                f"{self.type} needs at least one camera (observation.images.*) among "
                f"input_features, or empty_cameras > 0; got {sorted(self.input_features)}"
            )
        action = self.action_feature
        if action is None:
            raise ConfigError(
                f"{self.type} needs an 'action' output feature; got {sorted(self.output_features)}"
            )
        if action.shape[0] > self.max_action_dim:
            raise ConfigError(
                f"the action has {action.shape[0]} dimensions, more than max_action_dim "
                f"({self.max_action_dim}); raise --policy.max_action_dim (a new model) or use "
                "a checkpoint made for this robot"
            )
        state = self.robot_state_feature
        if state is not None and state.shape[0] > self.max_state_dim:
            raise ConfigError(
                f"observation.state has {state.shape[0]} dimensions, more than max_state_dim "
                f"({self.max_state_dim})"
            )

    # ----------------------------------------------------------------- training presets

    def get_optimizer_preset(self) -> dict[str, Any]:
        """AdamW with the config's ``optimizer_*`` values (LeRobot's preset)."""
        return {
            "type": "adamw",
            "lr": self.optimizer_lr,
            "betas": tuple(self.optimizer_betas),
            "eps": self.optimizer_eps,
            "weight_decay": self.optimizer_weight_decay,
            "grad_clip_norm": self.optimizer_grad_clip_norm,
        }

    def get_scheduler_preset(self) -> dict[str, Any]:
        """Linear warm-up then cosine decay to ``scheduler_decay_lr`` (LeRobot's
        ``CosineDecayWithWarmupSchedulerConfig``)."""
        return {
            "type": "cosine_decay_with_warmup",
            "num_warmup_steps": self.scheduler_warmup_steps,
            "num_decay_steps": self.scheduler_decay_steps,
            "peak_lr": self.optimizer_lr,
            "decay_lr": self.scheduler_decay_lr,
        }
