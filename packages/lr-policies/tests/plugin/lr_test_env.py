"""A small real gymnasium environment registered as ``reach_test`` (``lr.envs``) by the tests'
conftest: a point in the plane must reach the origin. Observations use LeRobot's keys."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

import gymnasium as gym
import numpy as np

from lr_core.env import EnvConfig


class ReachEnvConfig(EnvConfig):
    """Config of the reach test env."""

    type: Literal["reach_test"] = "reach_test"
    implementation: ClassVar[str] = "lr_test_env:make_env"
    fps: int = 10
    episode_length: int = 20
    cameras: list[str] = ["front"]
    image_height: int = 16
    image_width: int = 16


class ReachEnv(gym.Env):
    """``observation.state``: position (2,); ``observation.images.<cam>`` for each of
    ``cameras``: the point drawn on a small image; action: a velocity in [-1, 1]^2 (half applied
    per step); success within 0.05 of the origin, which ends the episode; reward: minus the
    distance."""

    metadata: ClassVar[dict[str, Any]] = {"render_modes": ["rgb_array"], "render_fps": 10}

    def __init__(self, config: ReachEnvConfig) -> None:
        self.hw = (config.image_height, config.image_width)
        self.cameras = [f"observation.images.{cam}" for cam in config.cameras]
        spaces: dict[str, gym.Space] = {
            "observation.state": gym.spaces.Box(-5, 5, (2,), np.float32)
        }
        for key in self.cameras:
            spaces[key] = gym.spaces.Box(0, 255, (*self.hw, 3), np.uint8)
        self.observation_space = gym.spaces.Dict(spaces)
        self.action_space = gym.spaces.Box(-1, 1, (2,), np.float32)
        self.pos = np.zeros(2, np.float32)

    def _obs(self) -> dict[str, np.ndarray]:
        image = np.zeros((*self.hw, 3), np.uint8)
        size = np.array(self.hw[::-1])
        ij = np.clip(((self.pos + 2) / 4 * size).astype(int), 0, size - 1)
        image[ij[1], ij[0]] = (255, 255, 255)
        return {"observation.state": self.pos.copy(), **{key: image for key in self.cameras}}

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        while True:
            self.pos = self.np_random.uniform(-1, 1, 2).astype(np.float32)
            if np.linalg.norm(self.pos) > 0.3:
                break
        return self._obs(), {"is_success": False}

    def step(self, action):
        self.pos = (self.pos + 0.5 * np.clip(action, -1, 1)).astype(np.float32)
        dist = float(np.linalg.norm(self.pos))
        success = dist < 0.05
        return self._obs(), -dist, success, False, {"is_success": success}


def make_env(config: ReachEnvConfig) -> gym.Env:
    """The env, capped at ``episode_length`` steps."""
    return gym.wrappers.TimeLimit(ReachEnv(config), max_episode_steps=config.episode_length)
