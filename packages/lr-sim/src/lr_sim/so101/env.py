"""The gymnasium environment of the SO-101 table scene, with LeRobot's observation keys.

Observations (a dict of numpy arrays):

- ``observation.state``: ``(6,)`` float32, the motor positions in the real SO-101 follower's
  normalised units (−100..100 for the arm, 0..100 for the gripper; see
  :mod:`lr_sim.so101.joints`), ordered ``shoulder_pan .. gripper``;
- ``observation.images.<cam>``: ``(H, W, 3)`` uint8 RGB for each configured camera;
- ``observation.environment_state``: ``(10,)`` float32: cube position (m, 3), cube quaternion
  (w, x, y, z), and the goal (place/push marker) or target (reach) position (m, 3).

Actions are ``(6,)`` goal positions in the same normalised units; the servos move there under
position control during the ``1 / fps`` s step. ``info["is_success"]`` says whether the task is
solved; the reward is 1.0 on success steps, else 0.0.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from lr_core.features import FeatureSpec
from lr_sim import frame_layout
from lr_sim.configs import SO101EnvConfig
from lr_sim.render import CameraRenderer
from lr_sim.so101.joints import STATE_NAMES, normalized_bounds
from lr_sim.so101.sim import ArmSim
from lr_sim.so101.tasks import Layout, get_task

ENV_STATE_NAMES = [
    "cube.x", "cube.y", "cube.z", "cube.qw", "cube.qx", "cube.qy", "cube.qz",
    "goal.x", "goal.y", "goal.z",
]  # fmt: skip


def env_features(config: SO101EnvConfig) -> dict[str, FeatureSpec]:
    """The dataset features of this env's frames: observations and ``action``."""
    return frame_layout.env_features(config, STATE_NAMES, ENV_STATE_NAMES, STATE_NAMES)


class SO101Env(gym.Env):
    """The SO-101 table scene as a gymnasium env (see the module docstring for the spaces)."""

    metadata = {"render_modes": ["rgb_array"], "render_fps": 30}

    def __init__(self, config: SO101EnvConfig | None = None, render_mode: str | None = "rgb_array"):
        super().__init__()
        self.config = config = config or SO101EnvConfig()
        self.task = get_task(config.task)
        self.task_description = self.task.description
        self.render_mode = render_mode
        self.metadata = {**self.metadata, "render_fps": config.fps}
        self.sim = ArmSim(
            fps=config.fps,
            offscreen_size=(max(640, config.image_width), max(480, config.image_height)),
            use_degrees=config.use_degrees,
        )
        self._renderer: CameraRenderer | None = None
        self.layout: Layout | None = None
        self._steps = 0
        low, high = normalized_bounds(config.use_degrees)
        self.action_space = spaces.Box(low=low, high=high, dtype=np.float32)
        self.observation_space = frame_layout.observation_space(
            config, spaces.Box(low=low, high=high, dtype=np.float32), len(ENV_STATE_NAMES)
        )

    @property
    def features(self) -> dict[str, FeatureSpec]:
        """Dataset features of this env (see :func:`env_features`)."""
        return env_features(self.config)

    def _ensure_renderer(self) -> None:
        if self._renderer is None:
            self._renderer = CameraRenderer(
                self.sim.model,
                self.config.image_height,
                self.config.image_width,
                self.config.render,
            )

    def _images(self) -> dict[str, np.ndarray]:
        if not self.config.cameras:
            return {}
        self._ensure_renderer()
        assert self._renderer is not None
        return {
            f"observation.images.{cam}": self._renderer.render(self.sim.data, cam)
            for cam in self.config.cameras
        }

    def _observation(self) -> dict[str, np.ndarray]:
        sim = self.sim
        marker = sim.target_pos if self.task.name == "reach" else sim.goal_pos
        obs: dict[str, np.ndarray] = {"observation.state": sim.state}
        obs.update(self._images())
        obs["observation.environment_state"] = np.concatenate([sim.cube_pose, marker]).astype(
            np.float32
        )
        return obs

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """Start an episode; the layout (cube pose, goal, target) is drawn from ``seed``."""
        super().reset(seed=seed)
        self.layout = layout = self.task.sample(self.np_random)
        self.sim.reset(
            cube_pos=layout.cube_xy,
            cube_yaw=layout.cube_yaw,
            goal_pos=np.array([*layout.goal_xy, 0.001]),
            target_pos=layout.target if self.task.name == "reach" else np.array([0, 0, -1.0]),
        )
        if self.task.name == "reach":
            self.sim.data.mocap_pos[self.sim.goal_mocap] = [0.0, 0.0, -1.0]
        self.sim.step()  # let the cube settle on the table
        self._steps = 0
        return self._observation(), {"is_success": False, "task": self.task_description}

    def step(
        self, action: np.ndarray
    ) -> tuple[dict[str, np.ndarray], float, bool, bool, dict[str, Any]]:
        """Move the servos towards ``action`` for one control period."""
        if self.layout is None:
            from lr_core.errors import LrError

            raise LrError("call reset() before step()")
        self.sim.set_target(np.asarray(action, dtype=np.float64).reshape(-1))
        self.sim.step()
        self._steps += 1
        success = self.task.is_success(self.sim)
        terminated = success and self.config.terminate_on_success
        truncated = self._steps >= self.config.episode_length and not terminated
        info = {"is_success": success, "task": self.task_description}
        return self._observation(), float(success), terminated, truncated, info

    def render(self) -> np.ndarray | None:
        """An RGB frame of the ``front`` camera (for rollout videos), at the image size."""
        self._ensure_renderer()
        assert self._renderer is not None
        return self._renderer.render(self.sim.data, "front")

    def close(self) -> None:
        """Release the renderer's GL contexts."""
        if self._renderer is not None:
            self._renderer.close()
            self._renderer = None


def make_env(config: SO101EnvConfig | None = None) -> SO101Env:
    """The ``lr.envs`` factory for ``--env.type=so101``."""
    return SO101Env(config or SO101EnvConfig())
