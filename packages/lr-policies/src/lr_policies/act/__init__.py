"""ACT (Action Chunking with Transformers); the config imports no torch."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lr_policies.act.config import ACTConfig
    from lr_policies.act.model import ACTPolicy

__all__ = ["ACTConfig", "ACTPolicy"]


def __getattr__(name: str) -> Any:
    if name == "ACTConfig":
        from lr_policies.act.config import ACTConfig

        return ACTConfig
    if name == "ACTPolicy":
        from lr_policies.act.model import ACTPolicy

        return ACTPolicy
    raise AttributeError(f"module 'lr_policies.act' has no attribute {name!r}")
