"""Training: the run config, the loop, checkpoints with exact resume, metrics, DDP.

``from lr_policies.train import TrainConfig, train``; names resolve lazily.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lr_core.lazy import lazy_exports

_EXPORTS: dict[str, str] = {
    "TrainConfig": "lr_policies.train.config",
    "DatasetConfig": "lr_policies.train.config",
    "WandbConfig": "lr_policies.train.config",
    "train": "lr_policies.train.loop",
    "find_checkpoint": "lr_policies.train.checkpoint",
    "read_metrics": "lr_policies.train.loop",
    "resolve_delta_timestamps": "lr_policies.train.data",
    "ResumableSampler": "lr_policies.train.sampler",
}

__all__, __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)


if TYPE_CHECKING:  # pragma: no cover
    from lr_policies.train.checkpoint import find_checkpoint
    from lr_policies.train.config import DatasetConfig, TrainConfig, WandbConfig
    from lr_policies.train.data import resolve_delta_timestamps
    from lr_policies.train.loop import read_metrics, train
    from lr_policies.train.sampler import ResumableSampler
