"""Videos for the quickstart report: one successful and one failed evaluation episode, each
showing the scene next to what the policy's cameras saw.

``lr eval`` runs episodes in batches of ``n_envs`` parallel envs and records only its first
camera. To show every camera, :func:`record_showcase` runs again the batch that held the chosen
episodes, with the same seeds, the same policy and :func:`lr_policies.eval.rollout.run_batch`
(the function ``lr eval`` uses), in envs wrapped by :class:`RecordingEnv`, which keeps each
step's camera images and a larger render of the ``front`` camera. The rerun is deterministic on
CPU (same inputs, batch shape and threads); each video carries the outcome of its own rerun, and
the report says when that differs from the evaluation's.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import gymnasium as gym
import numpy as np

from lr_sim.configs import SO101EnvConfig
from lr_sim.render import CameraRenderer

if TYPE_CHECKING:
    from lr_sim.so101.env import SO101Env

#: Side of the scene view in the videos (pixels).
SCENE_SIZE = 256


class RecordingEnv(gym.Wrapper):
    """Keeps, for the first episode after construction, every observation's camera images and
    a ``scene_size``² render of the ``front`` camera; later episodes are not recorded."""

    def __init__(self, env: gym.Env, scene_size: int = SCENE_SIZE, enabled: bool = True) -> None:
        super().__init__(env)
        self.enabled = enabled
        self.frames: list[dict[str, np.ndarray]] = []
        self.finished = False
        # the env's own render settings: the scene renderer shares the model, whose
        # multisampling setting would otherwise change what the policy's cameras see
        base = cast("SO101Env", env.unwrapped)
        self._scene = CameraRenderer(base.sim.model, scene_size, scene_size, base.config.render)

    def _keep(self, observation: dict[str, np.ndarray]) -> None:
        if not self.enabled or self.finished:
            return
        frame = {k: v for k, v in observation.items() if k.startswith("observation.images.")}
        frame["scene"] = self._scene.render(cast("SO101Env", self.env.unwrapped).sim.data, "front")
        self.frames.append(frame)

    def reset(self, **kwargs: Any) -> tuple[Any, dict[str, Any]]:
        """Reset; the first reset starts the recording."""
        if self.frames:
            self.finished = True
        observation, info = self.env.reset(**kwargs)
        self._keep(observation)
        return observation, info

    def step(self, action: Any) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        """Step, keeping the frames until the recorded episode ends."""
        observation, reward, terminated, truncated, info = self.env.step(action)
        self._keep(observation)
        if terminated or truncated:
            self.finished = True
        return observation, float(reward), terminated, truncated, info

    def close(self) -> None:
        """Release the scene renderer and the env."""
        self._scene.close()
        super().close()


def _make(config: SO101EnvConfig, enabled: bool) -> RecordingEnv:
    from lr_sim.factory import make_env

    return RecordingEnv(make_env(config), enabled=enabled)


def compose_frame(frame: dict[str, np.ndarray], cameras: list[str]) -> np.ndarray:
    """The scene (S×S) with the policy's cameras beside it, stacked and scaled (nearest
    neighbour) to fill the height S: ``(S, S + S // n · (w / h), 3)`` uint8."""
    scene = frame["scene"]
    size = scene.shape[0]
    tiles = []
    tile_h = size // max(1, len(cameras))
    for cam in cameras:
        image = frame[f"observation.images.{cam}"]
        scale = max(1, tile_h // image.shape[0])
        tile = np.repeat(np.repeat(image, scale, axis=0), scale, axis=1)
        pad = tile_h - tile.shape[0]
        tile = np.pad(tile, ((pad // 2, pad - pad // 2), (0, 0), (0, 0)), constant_values=255)
        tiles.append(tile)
    width = max(t.shape[1] for t in tiles)
    column = np.concatenate(
        [np.pad(t, ((0, 0), (0, width - t.shape[1]), (0, 0)), constant_values=255) for t in tiles]
    )
    column = np.pad(column, ((0, size - column.shape[0]), (0, 0), (0, 0)), constant_values=255)
    gap = np.full((size, 4, 3), 255, dtype=np.uint8)
    return np.concatenate([scene, gap, column], axis=1)


def pick_episodes(per_episode: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The first successful and the first failed episode (either may be missing)."""
    chosen: dict[str, dict[str, Any]] = {}
    for episode in per_episode:
        kind = "success" if episode["success"] else "failure"
        chosen.setdefault(kind, episode)
    return chosen


def record_showcase(
    checkpoint: str,
    env: SO101EnvConfig,
    per_episode: list[dict[str, Any]],
    n_envs: int,
    device: str,
    output_dir: Path,
) -> list[dict[str, Any]]:
    """Rerun the evaluation batches holding :func:`pick_episodes`' choices and write one MP4
    per chosen episode to ``output_dir``; returns ``[{kind, episode_ix, seed, video, success,
    eval_success, length}]``."""
    import importlib

    # torch's lazy import of triton must come before any EGL rendering (see lr_policies.eval)
    importlib.import_module("torch._dynamo")
    from lr_policies.eval.rollout import run_batch
    from lr_policies.eval.video import write_mp4
    from lr_policies.pretrained import PreTrainedPolicy
    from lr_policies.processors import load_pre_post_processors

    chosen = pick_episodes(per_episode)
    if not chosen:
        return []
    policy = PreTrainedPolicy.from_pretrained(checkpoint, device=device)
    pre, post = load_pre_post_processors(checkpoint, device=device)
    first_seed = per_episode[0]["seed"] - per_episode[0]["episode_ix"]
    out: list[dict[str, Any]] = []
    for batch in sorted({e["episode_ix"] // n_envs for e in chosen.values()}):
        wanted = {
            e["episode_ix"] % n_envs: (kind, e)
            for kind, e in chosen.items()
            if e["episode_ix"] // n_envs == batch
        }
        fns = [functools.partial(_make, env, j in wanted) for j in range(n_envs)]
        venv = gym.vector.SyncVectorEnv(fns)
        try:
            seeds = [first_seed + batch * n_envs + j for j in range(n_envs)]
            results, _ = run_batch(
                venv,
                policy,
                pre,
                post,
                seeds=seeds,
                max_steps=env.episode_length,
                record=[False] * n_envs,
            )
            for j, (kind, episode) in sorted(wanted.items()):
                frames = [compose_frame(f, list(env.cameras)) for f in venv.envs[j].frames]
                path = write_mp4(
                    output_dir / f"{kind}_episode_{episode['episode_ix']}.mp4", frames, env.fps
                )
                out.append(
                    {
                        "kind": kind,
                        "episode_ix": episode["episode_ix"],
                        "seed": seeds[j],
                        "video": str(path),
                        "success": results[j]["success"],
                        "eval_success": episode["success"],
                        "length": results[j]["length"],
                    }
                )
        finally:
            venv.close()
    return sorted(out, key=lambda v: v["kind"] != "success")
