"""Evaluation in gymnasium environments (``lr eval``); names resolve lazily."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS: dict[str, str] = {
    "EvalRunConfig": "lr_policies.eval.config",
    "EvalConfig": "lr_policies.eval.config",
    "PolicyRef": "lr_policies.eval.config",
    "evaluate": "lr_policies.eval.rollout",
    "load_report": "lr_policies.eval.rollout",
    "wilson_interval": "lr_policies.eval.report",
    "write_mp4": "lr_policies.eval.video",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'lr_policies.eval' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__


if TYPE_CHECKING:  # pragma: no cover
    from lr_policies.eval.config import EvalConfig, EvalRunConfig, PolicyRef
    from lr_policies.eval.report import wilson_interval
    from lr_policies.eval.rollout import evaluate, load_report
    from lr_policies.eval.video import write_mp4
