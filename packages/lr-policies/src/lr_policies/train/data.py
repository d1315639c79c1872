"""Training data: delta timestamps from the policy config, the dataset, usable frames, stats.

A training dataset is any map-style dataset returning dicts of tensors whose ``meta`` offers
LeRobot's metadata: ``fps``, ``features`` (feature specs) and ``stats``
(``{feature: {"mean": ..., ...}}``); for episode-aware sampling also ``episodes`` (rows with
``dataset_from_index`` / ``dataset_to_index``). ``lr_dataset.LeRobotDataset`` is one.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from lr_core.errors import ConfigError
from lr_core.features import FeatureSpec
from lr_policies.train.config import DatasetConfig

#: ImageNet statistics, shaped (3, 1, 1) like camera stats.
IMAGENET_STATS = {
    "mean": np.array([0.485, 0.456, 0.406], dtype=np.float32).reshape(3, 1, 1),
    "std": np.array([0.229, 0.224, 0.225], dtype=np.float32).reshape(3, 1, 1),
}


def resolve_delta_timestamps(
    policy_config: Any, features: Iterable[str], fps: float
) -> dict[str, list[float]] | None:
    """Which frames around the current one each sample holds, in seconds (LeRobot's rule).

    ``observation_delta_indices`` apply to every ``observation*`` key, ``action_delta_indices``
    to ``action`` and ``reward_delta_indices`` to ``next.reward``; ``None`` means the current
    frame only. ACT: action ``0..chunk_size-1``; Diffusion: observations ``[-1, 0]`` and actions
    ``-1..horizon-2``.
    """
    obs = getattr(policy_config, "observation_delta_indices", None)
    action = getattr(policy_config, "action_delta_indices", None)
    reward = getattr(policy_config, "reward_delta_indices", None)
    out: dict[str, list[float]] = {}
    for key in features:
        if key == "next.reward" and reward is not None:
            out[key] = [i / fps for i in reward]
        if key == "action" and action is not None:
            out[key] = [i / fps for i in action]
        if key.startswith("observation.") and obs is not None:
            out[key] = [i / fps for i in obs]
    return out or None


def training_stats(meta: Any, *, use_imagenet_stats: bool) -> dict[str, dict[str, Any]]:
    """The dataset's stats, with ImageNet mean/std for cameras when asked (LeRobot's default)."""
    stats = {k: dict(v) for k, v in (getattr(meta, "stats", None) or {}).items()}
    if use_imagenet_stats:
        for key, spec in _features(meta).items():
            if spec.is_visual:
                stats.setdefault(key, {}).update(IMAGENET_STATS)
    return stats


def _features(meta: Any) -> dict[str, FeatureSpec]:
    features = getattr(meta, "features", {}) or {}
    return {
        k: v if isinstance(v, FeatureSpec) else FeatureSpec.from_json(v, key=k)
        for k, v in features.items()
    }


def usable_frames(dataset: Any, *, drop_n_first: int = 0, drop_n_last: int = 0) -> list[int] | int:
    """Positions the sampler may draw: all of them, or, when the policy drops frames at episode
    edges (Diffusion drops the last 7), each episode's range shortened accordingly."""
    n = len(dataset)
    if not drop_n_first and not drop_n_last:
        return n
    ranges = episode_ranges(dataset)
    out: list[int] = []
    for start, end in ranges:
        out.extend(range(start + drop_n_first, end - drop_n_last))
    if not out:
        raise ConfigError(
            f"dropping {drop_n_first} first and {drop_n_last} last frames of each episode "
            f"leaves no frame to train on"
        )
    return out


def episode_ranges(dataset: Any) -> list[tuple[int, int]]:
    """``[start, end)`` positions of each episode in ``dataset``'s frame order."""
    ranges = getattr(dataset, "episode_ranges", None)
    if callable(ranges):
        return [(int(a), int(b)) for a, b in ranges()]
    meta = getattr(dataset, "meta", None)
    episodes = getattr(meta, "episodes", None)
    if episodes is None:
        raise ConfigError(
            f"{type(dataset).__name__} does not expose its episode boundaries "
            "(meta.episodes with dataset_from_index/dataset_to_index)"
        )
    rows = list(episodes)
    selected = getattr(dataset, "episodes", None)
    if selected is not None:
        wanted = set(selected)
        rows = [r for r in rows if int(r["episode_index"]) in wanted]
    out, offset = [], 0
    for row in sorted(rows, key=lambda r: int(r["dataset_from_index"])):
        length = int(row["dataset_to_index"]) - int(row["dataset_from_index"])
        out.append((offset, offset + length))
        offset += length
    return out


def make_dataset(config: DatasetConfig, policy_config: Any, *, seed: int = 0) -> Any:
    """Open ``config.repo_id`` (local ``root`` or the Hub) as an ``lr_dataset.LeRobotDataset``
    with the delta timestamps the policy needs; with ``config.streaming`` as an endless
    ``StreamingLeRobotDataset`` whose order derives from ``seed`` (the policy's dropped edge
    frames are never drawn, as the map-style sampler does)."""
    if config.streaming:
        from lr_dataset import StreamingLeRobotDataset
        from lr_dataset.streaming.dataset import open_metadata

        meta = open_metadata(config.repo_id, config.root, config.revision)
        return StreamingLeRobotDataset(
            config.repo_id,
            root=config.root,
            episodes=config.episodes,
            delta_timestamps=resolve_delta_timestamps(policy_config, meta.features, meta.fps),
            revision=config.revision,
            seed=seed,
            episode_pool_size=config.episode_pool_size,
            repeat=True,
            drop_n_first_frames=int(getattr(policy_config, "drop_n_first_frames", 0) or 0),
            drop_n_last_frames=int(getattr(policy_config, "drop_n_last_frames", 0) or 0),
        )
    from lr_dataset import LeRobotDataset, LeRobotDatasetMetadata

    meta = LeRobotDatasetMetadata(config.repo_id, root=config.root, revision=config.revision)
    delta = resolve_delta_timestamps(policy_config, meta.features, meta.fps)
    kwargs: dict[str, Any] = {"root": config.root, "episodes": config.episodes}
    if config.revision is not None:
        kwargs["revision"] = config.revision
    return LeRobotDataset(config.repo_id, delta_timestamps=delta, **kwargs)
