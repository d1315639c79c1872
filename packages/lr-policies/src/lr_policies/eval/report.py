"""Aggregating episode results: success rate with a Wilson 95% interval, returns."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from lr_core.success_rate import wilson_interval


@dataclass(frozen=True)
class EpisodeResult:
    """One evaluated episode."""

    episode_ix: int
    seed: int
    sum_reward: float
    max_reward: float
    success: bool
    length: int
    video: str | None = None


def summarise(episodes: Sequence[EpisodeResult], eval_s: float) -> dict[str, Any]:
    """The ``aggregated`` block of ``eval_info.json``."""
    n = len(episodes)
    wins = sum(e.success for e in episodes)
    low, high = wilson_interval(wins, n)
    return {
        "n_episodes": n,
        "n_success": wins,
        "pc_success": 100.0 * wins / n if n else float("nan"),
        "pc_success_ci95": [100.0 * low, 100.0 * high],
        "avg_sum_reward": sum(e.sum_reward for e in episodes) / n if n else float("nan"),
        "avg_max_reward": sum(e.max_reward for e in episodes) / n if n else float("nan"),
        "avg_length": sum(e.length for e in episodes) / n if n else float("nan"),
        "eval_s": eval_s,
        "eval_ep_s": eval_s / n if n else float("nan"),
    }


def episode_dicts(episodes: Sequence[EpisodeResult]) -> list[dict[str, Any]]:
    """The ``per_episode`` block of ``eval_info.json``."""
    return [asdict(e) for e in episodes]
