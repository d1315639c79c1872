"""Visuomotor policy (small CNN + spatial soft-argmax + MLP to action chunks); the config
imports no torch."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lr_policies.visuomotor.config import VisuomotorConfig
    from lr_policies.visuomotor.model import VisuomotorPolicy

__all__ = ["VisuomotorConfig", "VisuomotorPolicy"]


def __getattr__(name: str) -> Any:
    if name == "VisuomotorConfig":
        from lr_policies.visuomotor.config import VisuomotorConfig

        return VisuomotorConfig
    if name == "VisuomotorPolicy":
        from lr_policies.visuomotor.model import VisuomotorPolicy

        return VisuomotorPolicy
    raise AttributeError(f"module 'lr_policies.visuomotor' has no attribute {name!r}")
