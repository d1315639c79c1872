"""Fields every LeRobot policy config carries, and the feature helpers built on them (no torch).

LeRobot's ``PreTrainedConfig`` writes these keys into each policy's ``config.json`` next to the
policy's own; :class:`LeRobotPolicyConfig` accepts them with the same names and defaults, so a
LeRobot 0.6.1 (or 0.4.4) ``config.json`` validates and dumps back to the same values.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import PositiveInt, field_validator, model_validator

from lr_core.features import FeatureType, PolicyFeature
from lr_core.policy import PolicyConfig

#: Keys LeRobot uses in batches.
OBS_STATE = "observation.state"
OBS_ENV_STATE = "observation.environment_state"
OBS_IMAGES = "observation.images"
ACTION = "action"


class NormalizationMode(StrEnum):
    """How a feature type is normalised; values match LeRobot's ``NormalizationMode``."""

    MIN_MAX = "MIN_MAX"
    MEAN_STD = "MEAN_STD"
    IDENTITY = "IDENTITY"
    QUANTILES = "QUANTILES"
    QUANTILE10 = "QUANTILE10"


class LeRobotPolicyConfig(PolicyConfig):
    """Base of policy configs that share LeRobot's ``PreTrainedConfig`` fields.

    ``input_features`` / ``output_features`` (from :class:`PolicyConfig`) map batch keys to
    their role and shape; the properties below pick the ones a model needs.
    """

    n_obs_steps: PositiveInt = 1
    """Observation frames the policy sees per step: the current one and those before it."""
    normalization_mapping: dict[str, NormalizationMode] = {}
    """Normalisation per feature type (VISUAL, STATE, ACTION, ...): MEAN_STD, MIN_MAX, QUANTILES,
    QUANTILE10 or IDENTITY."""
    use_amp: bool = False
    """Train with fp16 autocast and a gradient scaler (CUDA only)."""
    use_peft: bool = False
    """Kept for LeRobot's config files; lr does not train PEFT adapters."""
    push_to_hub: bool = True
    """Kept for LeRobot's config files; lr train does not upload."""
    repo_id: str | None = None
    """Hub repository the policy is meant for (kept for LeRobot's config files)."""
    private: bool | None = None
    """Whether that Hub repository is private (kept for LeRobot's config files)."""
    tags: list[str] | None = None
    """Hub tags (kept for LeRobot's config files)."""
    license: str | None = None
    """License of the weights (kept for LeRobot's config files)."""
    pretrained_path: str | None = None
    """Start from these weights: a checkpoint folder or a Hub model id (fine-tuning)."""
    pretrained_revision: str | None = None
    """Hub revision of pretrained_path."""

    @model_validator(mode="after")
    def _check_window_relations(self) -> LeRobotPolicyConfig:
        self.validate_windows()
        return self

    def validate_windows(self) -> None:
        """Raise ``ValueError`` naming the fields when the window sizes do not fit together.

        Run at validation. The rule every policy shares: the frames a training sample loads
        must match what the model uses (``n_obs_steps`` observations; at least
        ``n_action_steps`` actions from the current step on), so that a value is never silently
        truncated. A policy with more relations overrides this and calls ``super()`` last.
        """
        check_windows(self)

    @field_validator("input_features", "output_features", mode="before")
    @classmethod
    def _null_features(cls, value: Any) -> Any:
        # LeRobot writes null to mean "fill from the dataset".
        return {} if value is None else value

    @property
    def robot_state_feature(self) -> PolicyFeature | None:
        """The ``observation.state`` input, if any."""
        ft = self.input_features.get(OBS_STATE)
        return ft if ft is not None and ft.type is FeatureType.STATE else None

    @property
    def env_state_feature(self) -> PolicyFeature | None:
        """The first ``ENV`` input (``observation.environment_state``), if any."""
        return next((ft for ft in self.input_features.values() if ft.type is FeatureType.ENV), None)

    @property
    def image_features(self) -> dict[str, PolicyFeature]:
        """The camera inputs (``VISUAL``), in config order; shapes are ``(C, H, W)``."""
        return {k: ft for k, ft in self.input_features.items() if ft.type is FeatureType.VISUAL}

    @property
    def action_feature(self) -> PolicyFeature | None:
        """The ``action`` output, if any."""
        ft = self.output_features.get(ACTION)
        return ft if ft is not None and ft.type is FeatureType.ACTION else None

    @property
    def observation_delta_indices(self) -> list[int] | None:
        """Frame offsets to load for every ``observation.*`` key (``None``: current frame)."""
        return None

    @property
    def action_delta_indices(self) -> list[int] | None:
        """Frame offsets to load for ``action`` (``None``: current frame)."""
        return None

    @property
    def reward_delta_indices(self) -> list[int] | None:
        """Frame offsets to load for ``next.reward`` (``None``: not loaded)."""
        return None

    def validate_features(self) -> None:
        """Raise :class:`lr_core.errors.ConfigError` if the features cannot drive the model."""


def check_windows(config: Any) -> None:
    """The window relations every policy config must satisfy (see
    :meth:`LeRobotPolicyConfig.validate_windows`); raises ``ValueError`` naming the fields.

    - ``n_obs_steps`` equals the number of observation frames a sample loads
      (``observation_delta_indices``; ``None`` means the current frame only);
    - ``n_action_steps`` ≤ the actions a model call yields from the current step on (the
      non-negative ``action_delta_indices``).
    """
    n_obs = getattr(config, "n_obs_steps", None)
    obs_indices = config.observation_delta_indices
    loaded = 1 if obs_indices is None else len(obs_indices)
    if n_obs is not None and n_obs != loaded:
        raise ValueError(
            f"n_obs_steps={n_obs} but {type(config).__name__} uses {loaded} observation "
            f"frame(s); set n_obs_steps={loaded}"
        )
    n_action = getattr(config, "n_action_steps", None)
    action_indices = config.action_delta_indices
    if n_action is not None and action_indices is not None:
        ahead = sum(1 for i in action_indices if i >= 0)
        if n_action > ahead:
            raise ValueError(
                f"n_action_steps ({n_action}) exceeds the {ahead} action(s) one model call "
                "predicts from the current step on"
            )
