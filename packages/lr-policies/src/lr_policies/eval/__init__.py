"""Evaluation in gymnasium environments (``lr eval``); names resolve lazily."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lr_core.lazy import lazy_exports

_EXPORTS: dict[str, str] = {
    "EvalRunConfig": "lr_policies.eval.config",
    "EvalConfig": "lr_policies.eval.config",
    "PolicyRef": "lr_policies.eval.config",
    "evaluate": "lr_policies.eval.rollout",
    "load_report": "lr_policies.eval.rollout",
    "wilson_interval": "lr_core.success_rate",
    "write_mp4": "lr_policies.eval.video",
}

__all__, __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)


if TYPE_CHECKING:  # pragma: no cover
    from lr_core.success_rate import wilson_interval
    from lr_policies.eval.config import EvalConfig, EvalRunConfig, PolicyRef
    from lr_policies.eval.rollout import evaluate, load_report
    from lr_policies.eval.video import write_mp4
