"""Meta-World tasks as gymnasium envs with LeRobot's observation keys and fast cameras.

Wraps one ``metaworld`` 3.1 task (``*-v3``; the MT10 and MT50 sets are lists of them) so that
it looks like every other lr env:

- ``observation.state``: ``(4,)`` float32, the hand position (m) and the gripper opening, the
  first four values of Meta-World's observation (LeRobot's ``agent_pos``);
- ``observation.images.<cam>``: ``(H, W, 3)`` uint8 from Meta-World's cameras (``corner2``,
  ``topview``, ``gripperPOV``...), rendered by :class:`lr_sim.render.CameraRenderer` with the
  fast settings; ``corner2`` is flipped upright and moved as LeRobot does;
- ``observation.environment_state``: ``(17,)`` float32: both objects' positions and
  quaternions and the goal position;
- actions ``(4,)`` in −1..1 (hand displacement and gripper effort); ``info["is_success"]`` is
  Meta-World's ``success``.

Randomisation follows LeRobot: object and goal positions are drawn from ``reset(seed=...)``.
The package's scripted policies are available as :class:`MetaWorldExpert`.
"""

from __future__ import annotations

import warnings
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from lr_core.errors import ConfigError
from lr_core.features import FeatureSpec
from lr_sim import frame_layout
from lr_sim._mujoco import import_mujoco
from lr_sim.configs import MetaWorldEnvConfig
from lr_sim.metaworld.tasks import task_names
from lr_sim.render import CameraRenderer

STATE_NAMES = ["hand.x", "hand.y", "hand.z", "gripper"]
ENV_STATE_NAMES = [
    *(f"obj1.{k}" for k in ("x", "y", "z", "qw", "qx", "qy", "qz")),
    *(f"obj2.{k}" for k in ("x", "y", "z", "qw", "qx", "qy", "qz")),
    "goal.x", "goal.y", "goal.z",
]  # fmt: skip
#: Where LeRobot moves the ``corner2`` camera so the scene is framed (metaworld's own is off).
CORNER2_POS = (0.75, 0.075, 0.7)


def _metaworld() -> Any:
    import_mujoco()  # choose the GL backend before metaworld imports mujoco
    from lr_core.errors import require

    return require("metaworld", "metaworld", "lr-sim")


def env_features(config: MetaWorldEnvConfig) -> dict[str, FeatureSpec]:
    """Dataset features of this env's frames (observations and ``action``)."""
    return frame_layout.env_features(
        config, STATE_NAMES, ENV_STATE_NAMES, ["dx", "dy", "dz", "gripper"]
    )


class MetaWorldEnv(gym.Env):
    """One Meta-World task (``config.task`` must name a single task)."""

    metadata = {"render_modes": ["rgb_array"], "render_fps": 80}

    def __init__(self, config: MetaWorldEnvConfig | None = None) -> None:
        super().__init__()
        self.config = config = config or MetaWorldEnvConfig()
        names = task_names(config.task)
        if len(names) != 1:
            raise ConfigError(
                f"MetaWorldEnv runs one task; {config.task!r} names {len(names)} "
                f"(build one env per task from lr_sim.metaworld.tasks.task_names)"
            )
        self.task = names[0]
        self.task_description = self.task.removesuffix("-v3").replace("-", " ")
        metaworld = _metaworld()
        from metaworld.env_dict import ALL_V3_ENVIRONMENTS, ML1_ARGS_KWARGS

        env = ALL_V3_ENVIRONMENTS[self.task]()
        # What metaworld.MT1 does to make a task, without drawing its 50 fixed goals: goals
        # observable, positions drawn from the env's seeded generator at every reset.
        kwargs = dict(ML1_ARGS_KWARGS[self.task]["kwargs"])
        kwargs.pop("task_id", None)
        env._set_task_inner(**kwargs)
        env._partially_observable = False
        env.__dict__.pop("sawyer_observation_space", None)
        env._set_task_called = True
        env._freeze_rand_vec = False
        env.seeded_rand_vec = True
        env.max_path_length = max(env.max_path_length, config.episode_length)
        self._metaworld = metaworld
        self.mw_env = env
        if "corner2" in config.cameras:
            env.model.cam_pos[env.model.camera("corner2").id] = CORNER2_POS
        self._renderer: CameraRenderer | None = None
        self._steps = 0
        self._raw_obs: np.ndarray | None = None
        self.action_space = spaces.Box(-1.0, 1.0, (4,), np.float32)
        self.observation_space = frame_layout.observation_space(
            config, spaces.Box(-np.inf, np.inf, (4,), np.float32), len(ENV_STATE_NAMES)
        )

    @property
    def features(self) -> dict[str, FeatureSpec]:
        """Dataset features of this env."""
        return env_features(self.config)

    @property
    def raw_observation(self) -> np.ndarray:
        """Meta-World's own ``(39,)`` observation of the current step (for its policies)."""
        assert self._raw_obs is not None, "call reset() first"
        return self._raw_obs

    def _camera(self, cam: str) -> np.ndarray:
        if self._renderer is None:
            self._renderer = CameraRenderer(
                self.mw_env.model,
                self.config.image_height,
                self.config.image_width,
                self.config.render,
            )
        image = self._renderer.render(self.mw_env.data, cam)
        if cam == "corner2":  # this camera's frame is upside down
            image = np.ascontiguousarray(image[::-1, ::-1])
        return image

    def _observation(self, raw: np.ndarray) -> dict[str, np.ndarray]:
        self._raw_obs = raw
        obs: dict[str, np.ndarray] = {"observation.state": raw[:4].astype(np.float32)}
        for cam in self.config.cameras:
            obs[f"observation.images.{cam}"] = self._camera(cam)
        obs["observation.environment_state"] = np.concatenate([raw[4:18], raw[36:39]]).astype(
            np.float32
        )
        return obs

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """Start an episode; object and goal positions are drawn from ``seed``."""
        super().reset(seed=seed)
        if seed is not None:
            self.mw_env.seed(seed)
        raw, _ = self.mw_env.reset()
        self._steps = 0
        return self._observation(raw), {"is_success": False, "task": self.task_description}

    def step(
        self, action: np.ndarray
    ) -> tuple[dict[str, np.ndarray], float, bool, bool, dict[str, Any]]:
        """One Meta-World step (5 physics steps of 2.5 ms)."""
        if self._raw_obs is None:
            from lr_core.errors import LrError

            raise LrError("call reset() before step()")
        action = np.asarray(action, dtype=np.float32).reshape(-1)
        if action.shape != (4,) or not np.all(np.isfinite(action)):
            from lr_core.errors import FeatureError

            raise FeatureError(f"Meta-World actions are 4 finite values, got shape {action.shape}")
        raw, reward, _, mw_truncated, mw_info = self.mw_env.step(np.clip(action, -1.0, 1.0))
        self._steps += 1
        success = bool(mw_info.get("success", 0.0))
        terminated = success and self.config.terminate_on_success
        truncated = not terminated and (mw_truncated or self._steps >= self.config.episode_length)
        info = {"is_success": success, "task": self.task_description}
        return self._observation(raw), float(reward), terminated, truncated, info

    def render(self) -> np.ndarray:
        """An RGB frame of the first configured camera (``corner2`` if none)."""
        return self._camera(self.config.cameras[0] if self.config.cameras else "corner2")

    def close(self) -> None:
        """Release the renderer and the Meta-World env."""
        if self._renderer is not None:
            self._renderer.close()
            self._renderer = None
        self.mw_env.close()


class MetaWorldExpert:
    """Meta-World's scripted policy for the env's task (``metaworld.policies``)."""

    def __init__(self, env: MetaWorldEnv) -> None:
        from metaworld.policies import ENV_POLICY_MAP

        self.env = env
        self.policy = ENV_POLICY_MAP[env.task]()

    def reset(self) -> None:
        """Nothing to forget: the policies are stateless."""

    def act(self) -> np.ndarray:
        """The next action ``(4,)`` float32, from the current raw observation."""
        with warnings.catch_warnings():
            # metaworld warns on every call that its gains may saturate; the env clips anyway
            warnings.filterwarnings("ignore", message="Constant", category=UserWarning)
            action = self.policy.get_action(self.env.raw_observation)
        return np.clip(np.asarray(action, dtype=np.float32), -1.0, 1.0)


def make_env(config: MetaWorldEnvConfig | None = None) -> MetaWorldEnv:
    """The ``lr.envs`` factory for ``--env.type=metaworld``."""
    return MetaWorldEnv(config or MetaWorldEnvConfig())
