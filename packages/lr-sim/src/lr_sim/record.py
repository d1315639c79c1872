"""``lr sim record``: write a LeRobotDataset of scripted-expert demonstrations in simulation.

    lr sim record --env.type=so101 --env.task=pick-and-place --episodes 50 --expert \\
        --dataset.repo_id=me/so101_pick --dataset.root=data/so101_pick

Each episode resets the env with seed ``seed + i``, lets the expert act until the task succeeds
(plus ``post_success_steps`` frames of holding still, so a policy also learns to stop) or the
episode ends, and stores one frame per step: the observation, the action taken from it, and the
task's instruction. With ``--expert_noise=σ`` the command sent to the robot is the expert's
action plus Gaussian noise of standard deviation σ (in action units) while the dataset keeps the
expert's own action, as in DART (Laskey et al., 2017, "DART: Noise Injection for Robust
Imitation Learning"): the demonstrations then visit states slightly off the expert's path and
show the way back, which a policy's own small errors will need. Failed episodes are discarded
(``--keep_failures=true`` keeps them), so ``--episodes`` counts stored episodes per task (a task
set such as Meta-World's ``MT10`` records each of its tasks). Cameras become video features.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import Field

from lr_core.config import LrConfig, parse_cli
from lr_core.env import EnvConfig
from lr_core.errors import ConfigError, require
from lr_sim.configs import SO101EnvConfig


class DatasetTarget(LrConfig):
    """Where the dataset goes: ``repo_id`` (``user/name``), ``root`` (default
    ``$HF_LEROBOT_HOME/<repo_id>``), and the video codec (default: the writer's)."""

    repo_id: str
    """Dataset id (user/name)."""
    root: Path | None = None
    """Folder to write (default: $HF_LEROBOT_HOME/<repo_id>)."""
    vcodec: str | None = None
    """Video codec of camera features (default: the writer's)."""


class SimRecordConfig(LrConfig):
    """Options of ``lr sim record`` (see the module docstring)."""

    env: EnvConfig = SO101EnvConfig()
    """The simulated environment: --env.type=NAME and its fields."""
    dataset: DatasetTarget
    """Where the dataset goes."""
    episodes: int = Field(default=10, gt=0)
    """Episodes to store per task."""
    expert: bool = True
    """Let the scripted expert act (the only mode of lr sim record)."""
    seed: int = 0
    """Episode i is reset with seed + i."""
    post_success_steps: int = Field(default=15, ge=0)
    """Frames of holding still recorded after success."""
    expert_noise: float = Field(default=0.0, ge=0.0)
    """DART: std of Gaussian noise added to the expert's action before the robot executes it
    (the dataset keeps the expert's own action); 0 records clean demonstrations."""
    keep_failures: bool = False
    """Also store episodes where the expert failed."""
    max_attempts_factor: int = Field(default=3, gt=0)
    """Give up after this many attempts per stored episode."""
    progress: bool = True
    """Show a progress bar."""


def record(config: SimRecordConfig) -> dict[str, Any]:
    """Record ``config.episodes`` expert episodes per task; return a summary (paths, counts).

    A task set (``--env.type=metaworld --env.task=MT10``) records every task into the same
    dataset, each episode with its own task string.
    """
    if not config.expert:
        raise ConfigError(
            "lr sim record drives the scripted expert: pass --expert "
            "(to roll out a trained policy use `lr eval`)"
        )
    require("lr_dataset", "dataset", "lr-sim")
    from lr_dataset.dataset import LeRobotDataset
    from lr_sim.factory import env_features, expand_env_configs

    env_configs = [
        c.model_copy(update={"terminate_on_success": False}) for c in expand_env_configs(config.env)
    ]
    first = env_configs[0]
    dataset = LeRobotDataset.create(
        config.dataset.repo_id,
        fps=first.fps,
        features=env_features(first),
        root=config.dataset.root,
        robot_type=getattr(type(first), "robot_type", None),
        vcodec=config.dataset.vcodec,
    )
    bar = _progress(config.episodes * len(env_configs), config.progress)
    totals = {"episodes": 0, "frames": 0, "attempts": 0, "successes": 0}
    try:
        for env_config in env_configs:
            _record_task(config, env_config, dataset, bar, totals)
    finally:
        bar.close()
        dataset.finalize()
    return {
        "root": str(dataset.root),
        "tasks": len(env_configs),
        "episodes": totals["episodes"],
        "frames": totals["frames"],
        "attempts": totals["attempts"],
        "expert_success_rate": totals["successes"] / max(totals["attempts"], 1),
    }


def _record_task(
    config: SimRecordConfig, env_config: EnvConfig, dataset: Any, bar: Any, totals: dict[str, int]
) -> None:
    from lr_sim.factory import make_env, make_expert

    env = make_env(env_config)
    expert = make_expert(env_config, env)
    saved = attempts = 0
    try:
        while saved < config.episodes:
            if attempts >= config.episodes * config.max_attempts_factor:
                raise ConfigError(
                    f"the expert failed too often on {env_config.task}: {saved} successful "
                    f"episodes out of {attempts} attempts; check the --env options"
                )
            seed = config.seed + attempts
            attempts += 1
            totals["attempts"] += 1
            success, n = _episode(
                env,
                expert,
                dataset,
                seed,
                env_config,
                config.post_success_steps,
                config.expert_noise,
            )
            totals["successes"] += success
            if success or config.keep_failures:
                dataset.save_episode()
                saved += 1
                totals["episodes"] += 1
                totals["frames"] += n
                bar.update(1)
            else:
                dataset.clear_episode_buffer()
            bar.set_postfix(
                success=f"{totals['successes']}/{totals['attempts']}", frames=totals["frames"]
            )
    finally:
        env.close()


def _episode(
    env: Any,
    expert: Any,
    dataset: Any,
    seed: int,
    env_config: EnvConfig,
    post_steps: int,
    noise: float = 0.0,
) -> tuple[bool, int]:
    obs, info = env.reset(seed=seed)
    expert.reset()
    rng = np.random.default_rng([seed, 0xDA127])  # the noise is reproducible per seed
    task = env.task_description
    succeeded_at: int | None = None
    for step in range(env_config.episode_length):
        action = expert.act()
        dataset.add_frame({**obs, "action": action, "task": task})
        executed = action
        if noise > 0:
            executed = (action + rng.normal(0.0, noise, np.shape(action))).astype(action.dtype)
        obs, _, terminated, truncated, info = env.step(executed)
        if info["is_success"] and succeeded_at is None:
            succeeded_at = step
        if succeeded_at is not None and step - succeeded_at >= post_steps:
            return True, step + 1
        if terminated or truncated:
            return succeeded_at is not None, step + 1
    return succeeded_at is not None, env_config.episode_length


class _NoBar:
    def update(self, n: int) -> None:
        pass

    def set_postfix(self, **kwargs: Any) -> None:
        pass

    def close(self) -> None:
        pass


def _progress(total: int, enabled: bool) -> Any:
    if not enabled:
        return _NoBar()
    tqdm = require("tqdm", "dataset", "lr-sim")
    return tqdm.tqdm(total=total, unit="episode", desc="recording", file=sys.stderr)


def main(argv: list[str]) -> int:
    """``lr sim record`` entry point."""
    args = ["--expert=true" if a == "--expert" else a for a in argv]
    config = parse_cli(SimRecordConfig, args, prog="lr sim record")
    summary = record(config)
    print(
        f"wrote {summary['episodes']} episodes ({summary['frames']} frames, "
        f"{summary['tasks']} task(s)) to {summary['root']}"
        f"; expert success {summary['expert_success_rate']:.0%} over {summary['attempts']} seeds"
    )
    return 0
