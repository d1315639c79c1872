"""Fields every LeRobot policy config carries, and the feature helpers built on them (no torch).

LeRobot's ``PreTrainedConfig`` writes these keys into each policy's ``config.json`` next to the
policy's own; :class:`LeRobotPolicyConfig` accepts them with the same names and defaults, so a
LeRobot 0.6.1 (or 0.4.4) ``config.json`` validates and dumps back to the same values.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import field_validator

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

    n_obs_steps: int = 1
    normalization_mapping: dict[str, NormalizationMode] = {}
    use_amp: bool = False
    use_peft: bool = False
    push_to_hub: bool = True
    repo_id: str | None = None
    private: bool | None = None
    tags: list[str] | None = None
    license: str | None = None
    pretrained_path: str | None = None
    pretrained_revision: str | None = None

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
