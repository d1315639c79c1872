"""Running a saved policy in a registered gymnasium environment (``lr eval``).

The environment comes from the ``lr.envs`` registry: ``--env.type=NAME`` selects an
:class:`lr_core.env.EnvConfig` subclass whose ``implementation`` names a factory
``make_env(config) -> gymnasium.Env``. Its observations are dicts with LeRobot's keys
(``observation.state`` ``(D,)`` float, ``observation.images.<cam>`` ``(H, W, 3)`` uint8) and its
``info`` carries ``is_success``. ``batch_size`` copies run as a gymnasium vector env (in
processes with ``use_async_envs``); episode ``i`` is reset with seed ``seed + i``.

An episode ends when its env terminates or truncates, or after ``env.episode_length`` steps.
It counts as a success when ``is_success`` was true at any of its steps. Results go to
``<output_dir>/eval_info.json``; the first ``max_videos`` episodes are saved as
``<output_dir>/videos/eval_episode_<i>.mp4`` (from the first camera in the observation).

Before the first step every policy input is checked against the env's observation space (key,
shape, dtype; :mod:`lr_policies.eval.features`). An env config with ``cameras``,
``image_height`` and ``image_width`` fields (lr-sim's) that the user left at their defaults is
rebuilt to render what the checkpoint was trained on, and the change is printed; any remaining
difference is refused with the list of differences.
"""

from __future__ import annotations

import functools
import importlib
import json
import os
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import torch

from lr_core.env import EnvConfig
from lr_core.errors import ConfigError, PluginError
from lr_core.fileio import atomic_write_text
from lr_core.policy import PolicyConfig
from lr_core.progress import ProgressBar, progress_bar
from lr_policies.eval.config import EvalConfig, EvalRunConfig
from lr_policies.eval.features import check_env_features
from lr_policies.eval.report import EpisodeResult, episode_dicts, summarise
from lr_policies.eval.video import write_mp4
from lr_policies.pretrained import PreTrainedPolicy, resolve_pretrained
from lr_policies.processors import load_pre_post_processors
from lr_policies.processors.pipeline import PolicyProcessorPipeline

if TYPE_CHECKING:  # pragma: no cover
    import gymnasium


class EvalPolicy(Protocol):
    """What evaluation needs of a policy: a local :class:`PreTrainedPolicy`, or any object with
    the same three members (e.g. a client of a remote policy server)."""

    @property
    def config(self) -> PolicyConfig:
        """The policy config (its ``input_features`` are checked against the env)."""
        ...

    def reset(self) -> None:
        """Start a new episode."""
        ...

    def select_action(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """The next (normalised) action ``(B, D_action)``."""
        ...


EVAL_INFO = "eval_info.json"


def auto_batch_size(n_episodes: int) -> int:
    """LeRobot's ``batch_size=0`` rule: ``min(n_episodes, max(1, floor(0.7 × CPUs)), 64)``."""
    return max(1, min(n_episodes, int(0.7 * (os.cpu_count() or 1)), 64))


def make_vector_env(
    env: EnvConfig, n_envs: int, *, use_async: bool = False
) -> gymnasium.vector.VectorEnv:
    """``n_envs`` copies of the env ``env`` describes as a gymnasium vector env (each in its own
    process with ``use_async``)."""
    import gymnasium as gym

    factory = type(env).implementation_class()
    if not callable(factory):
        raise PluginError(f"{type(env).__name__}.implementation is not callable: {factory!r}")
    fns = [functools.partial(factory, env) for _ in range(n_envs)]
    if use_async and n_envs > 1:
        # forkserver, not fork: a child forked from a process that has rendered with Mesa's EGL
        # deadlocks (lr-sim raises ForkedRendererError there), e.g. during periodic evaluation.
        return gym.vector.AsyncVectorEnv(fns, context="forkserver")
    return gym.vector.SyncVectorEnv(fns)


def observation_to_batch(observation: Mapping[str, Any]) -> dict[str, torch.Tensor]:
    """Vector-env observations (numpy, batched) as policy inputs: cameras ``(B, H, W, 3)`` uint8
    become ``(B, 3, H, W)`` float32 in [0, 1], other arrays float32 tensors."""
    batch: dict[str, torch.Tensor] = {}
    for key, value in observation.items():
        array = np.asarray(value)
        if key.startswith("observation.image"):
            if array.ndim != 4 or array.shape[-1] not in (1, 3):
                raise ConfigError(
                    f"env observation {key!r} has shape {array.shape}; expected "
                    "(B, H, W, 3) uint8 images"
                )
            batch[key] = torch.from_numpy(array).permute(0, 3, 1, 2).float().div_(255.0)
        elif np.issubdtype(array.dtype, np.number):
            batch[key] = torch.from_numpy(array.astype(np.float32, copy=False))
    return batch


def _camera(observation: Mapping[str, Any]) -> str | None:
    keys = sorted(k for k in observation if k.startswith("observation.image"))
    return keys[0] if keys else None


def _success(info: Mapping[str, Any], n: int) -> np.ndarray:
    value = info.get("is_success")
    if value is None:
        return np.zeros(n, dtype=bool)
    flags = np.asarray(value, dtype=bool).reshape(-1)
    mask = info.get("_is_success")
    if mask is not None:
        flags = flags & np.asarray(mask, dtype=bool).reshape(-1)
    return flags


def run_batch(
    venv: gymnasium.vector.VectorEnv,
    policy: EvalPolicy,
    pre: PolicyProcessorPipeline,
    post: PolicyProcessorPipeline,
    *,
    seeds: list[int],
    max_steps: int,
    record: list[bool],
    bar: ProgressBar | None = None,
    wanted: int | None = None,
) -> tuple[list[dict[str, Any]], list[list[np.ndarray]]]:
    """Run one episode in each env of ``venv``; return per-env results and recorded frames.

    ``bar`` advances as the first ``wanted`` episodes (default: all) end."""
    n = venv.num_envs
    observation, _ = venv.reset(seed=seeds)
    policy.reset()
    done = np.zeros(n, dtype=bool)
    sum_r = np.zeros(n)
    max_r = np.full(n, -np.inf)
    success = np.zeros(n, dtype=bool)
    length = np.zeros(n, dtype=int)
    camera = _camera(observation)
    frames: list[list[np.ndarray]] = [[] for _ in range(n)]

    def capture(obs: Mapping[str, Any], active: np.ndarray) -> None:
        if camera is None:
            return
        for j in np.flatnonzero(active):
            if record[j]:
                frames[j].append(np.asarray(obs[camera][j]).copy())

    counted = np.arange(n) < (n if wanted is None else wanted)
    capture(observation, ~done)
    tasks = env_tasks(venv)
    for _ in range(max_steps):
        batch = pre({**observation_to_batch(observation), "task": tasks})
        with torch.inference_mode():
            action = post(policy.select_action(batch))
        action_np = action.detach().to("cpu").numpy()
        observation, reward, terminated, truncated, info = venv.step(action_np)
        active = ~done
        reward = np.asarray(reward, dtype=np.float64)
        sum_r[active] += reward[active]
        max_r[active] = np.maximum(max_r[active], reward[active])
        length[active] += 1
        success |= active & _success(info, n)
        finished = active & (np.asarray(terminated) | np.asarray(truncated))
        done |= finished
        capture(observation, active)
        if bar is not None and (finished & counted).any():
            bar.update(int((finished & counted).sum()))
        if done.all():
            break
    if bar is not None and (~done & counted).any():
        bar.update(int((~done & counted).sum()))  # cut by max_steps
    results = [
        {
            "sum_reward": float(sum_r[j]),
            "max_reward": float(max_r[j]) if np.isfinite(max_r[j]) else 0.0,
            "success": bool(success[j]),
            "length": int(length[j]),
        }
        for j in range(n)
    ]
    return results, frames


def env_tasks(venv: Any) -> list[str]:
    """Each env's language instruction (its ``task_description``, else a string ``task``, else
    ``""``), as LeRobot's ``add_envs_task`` adds it; VLA pre-processors tokenise it. Envs in
    other processes (``use_async_envs``) are asked for ``task_description`` only when the first
    one in this process has it (asking a subprocess env for a missing attribute breaks it)."""
    envs = getattr(venv, "envs", None)
    if envs is not None:
        tasks = []
        for env in envs:
            base = getattr(env, "unwrapped", env)
            value = getattr(base, "task_description", None) or getattr(base, "task", None)
            tasks.append(value if isinstance(value, str) else "")
        return tasks
    probe = getattr(venv, "env_fns", None)
    if probe:
        env = probe[0]()
        try:
            has = isinstance(getattr(env.unwrapped, "task_description", None), str)
        finally:
            env.close()
        if has:
            return [str(v) for v in venv.get_attr("task_description")]
    return [""] * venv.num_envs


def evaluate_policy(
    policy: EvalPolicy,
    pre: PolicyProcessorPipeline,
    post: PolicyProcessorPipeline,
    env: EnvConfig,
    eval_cfg: EvalConfig,
    *,
    seed: int,
    output_dir: Path,
    label: str,
    rename_map: Mapping[str, str] | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Run ``eval_cfg.n_episodes`` episodes of ``policy`` in ``env``; write
    ``<output_dir>/eval_info.json`` and the videos; return the report.

    ``label`` names the policy in the report; ``rename_map`` (env key -> policy key) is the one
    the pre-processor applies, for the input check; ``progress`` shows a bar over episodes with
    the success count and ETA. Used by ``lr eval`` and by ``lr train``'s periodic evaluation.
    Raises :class:`ConfigError` listing every policy input the env does not provide as trained.
    """
    started = time.perf_counter()
    output_dir.mkdir(parents=True, exist_ok=True)
    # torch's lazy import of triton (through torch._dynamo) crashes the process once MuJoCo has
    # created an EGL context; importing it before any env renders avoids that.
    importlib.import_module("torch._dynamo")

    n_total = eval_cfg.n_episodes
    n_envs = min(eval_cfg.batch_size or auto_batch_size(n_total), n_total)
    venv = make_vector_env(env, n_envs, use_async=eval_cfg.use_async_envs)
    try:
        adapted = check_env_features(
            policy.config.input_features, env, venv.single_observation_space, rename_map
        )
    except BaseException:
        venv.close()
        raise
    if adapted is not None:
        env, note = adapted
        venv.close()
        print(f"lr eval: {note}", file=sys.stderr)
        venv = make_vector_env(env, n_envs, use_async=eval_cfg.use_async_envs)
        check_env_features(
            policy.config.input_features,
            env,
            venv.single_observation_space,
            rename_map,
            adapt=False,
        )
    episodes: list[EpisodeResult] = []
    bar = progress_bar(n_total, desc="eval", unit="episode", enabled=progress)
    finished = False
    try:
        for first in range(0, n_total, n_envs):
            seeds = [seed + first + j for j in range(n_envs)]
            wanted = min(n_envs, n_total - first)
            record = [first + j < eval_cfg.max_videos and j < wanted for j in range(n_envs)]
            results, frames = run_batch(
                venv,
                policy,
                pre,
                post,
                seeds=seeds,
                max_steps=env.episode_length,
                record=record,
                bar=bar,
                wanted=wanted,
            )
            for j in range(wanted):
                video = None
                if record[j] and frames[j]:
                    path = output_dir / "videos" / f"eval_episode_{first + j}.mp4"
                    write_mp4(path, frames[j], env.fps)
                    video = str(path.relative_to(output_dir))
                episodes.append(
                    EpisodeResult(episode_ix=first + j, seed=seeds[j], video=video, **results[j])
                )
            wins = sum(e.success for e in episodes)
            bar.set_postfix_str(f"success {wins}/{len(episodes)}")
        finished = True
    finally:
        bar.close()
        # Interrupted (Ctrl-C) or failed: env worker processes are terminated, not awaited.
        venv.close(terminate=not finished)
    report = {
        "policy": label,
        "env": env.to_dict(),
        "aggregated": summarise(episodes, time.perf_counter() - started),
        "per_episode": episode_dicts(episodes),
    }
    atomic_write_text(output_dir / EVAL_INFO, json.dumps(report, indent=2) + "\n")
    return report


def load_policy(
    cfg: EvalRunConfig,
) -> tuple[EvalPolicy, PolicyProcessorPipeline, PolicyProcessorPipeline]:
    """The policy ``cfg.policy`` names and its processors: a saved checkpoint (folder or Hub
    id), loaded on ``cfg.policy.device`` (default: cuda when available, else cpu)."""
    device = cfg.policy.device or ("cuda" if torch.cuda.is_available() else "cpu")
    directory = resolve_pretrained(cfg.policy.path, revision=cfg.policy.revision)
    policy = PreTrainedPolicy.from_pretrained(directory, device=device)
    pre, post = load_pre_post_processors(directory, device=device, rename_map=cfg.rename_map)
    return policy, pre, post


def evaluate(cfg: EvalRunConfig, *, progress: bool = True) -> dict[str, Any]:
    """``lr eval``: load ``cfg.policy`` and evaluate it in ``cfg.env`` (see
    :func:`evaluate_policy`); the config is saved next to the report. With
    ``cfg.policy.server`` the policy runs in that ``lr serve`` (:mod:`lr_policies.eval.remote`)."""
    if cfg.policy.server:
        from lr_policies.eval.remote import evaluate_remote

        return evaluate_remote(cfg, evaluate_policy)
    policy, pre, post = load_policy(cfg)
    output_dir = cfg.resolved_output_dir()
    report = evaluate_policy(
        policy,
        pre,
        post,
        cfg.env,
        cfg.eval,
        seed=cfg.seed,
        output_dir=output_dir,
        label=str(cfg.policy.path),
        rename_map=cfg.rename_map,
        progress=progress,
    )
    env = EnvConfig.from_dict(report["env"], source="the evaluated env")
    cfg.model_copy(update={"env": env}).save(output_dir / "eval_config.json")
    return report


def load_report(output_dir: str | Path) -> dict[str, Any]:
    """A run's ``eval_info.json``."""
    return json.loads((Path(output_dir) / EVAL_INFO).read_text())
