"""The frame layout every lr sim env shares: ``observation.state``, one
``observation.images.<cam>`` per rendered camera, ``observation.environment_state`` (object and
goal poses), and ``action``, as dataset features and as gymnasium spaces.

The order is the dataset's column order (LeRobot's gym envs use the same keys).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np

from lr_core.features import FeatureSpec, hw_to_dataset_features


class CameraConfig(Protocol):
    """What the layout reads of an env config."""

    cameras: list[str]
    image_height: int
    image_width: int


def env_features(
    config: CameraConfig,
    state_names: Sequence[str],
    env_state_names: Sequence[str],
    action_names: Sequence[str],
) -> dict[str, FeatureSpec]:
    """Dataset features of an env's frames: float32 state (D_state,), uint8 images
    ``(image_height, image_width, 3)``, float32 environment state and action."""
    features: dict[str, FeatureSpec] = {
        "observation.state": FeatureSpec(
            dtype="float32", shape=(len(state_names),), names=list(state_names)
        ),
    }
    cameras = {cam: (config.image_height, config.image_width, 3) for cam in config.cameras}
    features.update(hw_to_dataset_features(cameras, "observation"))
    features["observation.environment_state"] = FeatureSpec(
        dtype="float32", shape=(len(env_state_names),), names=list(env_state_names)
    )
    features["action"] = FeatureSpec(
        dtype="float32", shape=(len(action_names),), names=list(action_names)
    )
    return features


def observation_space(config: CameraConfig, state: Any, env_state_dim: int) -> Any:
    """``gymnasium.spaces.Dict`` of an env's observations: ``state`` (a ``Box``), a uint8
    ``Box`` per camera and an unbounded float32 environment state ``(env_state_dim,)``."""
    from gymnasium import spaces

    obs_spaces: dict[str, spaces.Space] = {"observation.state": state}
    for cam in config.cameras:
        obs_spaces[f"observation.images.{cam}"] = spaces.Box(
            0, 255, (config.image_height, config.image_width, 3), np.uint8
        )
    obs_spaces["observation.environment_state"] = spaces.Box(
        -np.inf, np.inf, (env_state_dim,), np.float32
    )
    return spaces.Dict(obs_spaces)
