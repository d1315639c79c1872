"""Training: the run config, the loop, checkpoints with exact resume, metrics, DDP.

``from lr_policies.train import TrainConfig, train``; names resolve lazily.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS: dict[str, str] = {
    "TrainConfig": "lr_policies.train.config",
    "DatasetConfig": "lr_policies.train.config",
    "WandbConfig": "lr_policies.train.config",
    "train": "lr_policies.train.loop",
    "find_checkpoint": "lr_policies.train.loop",
    "read_metrics": "lr_policies.train.loop",
    "resolve_delta_timestamps": "lr_policies.train.data",
    "ResumableSampler": "lr_policies.train.sampler",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'lr_policies.train' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__


if TYPE_CHECKING:  # pragma: no cover
    from lr_policies.train.config import DatasetConfig, TrainConfig, WandbConfig
    from lr_policies.train.data import resolve_delta_timestamps
    from lr_policies.train.loop import find_checkpoint, read_metrics, train
    from lr_policies.train.sampler import ResumableSampler
