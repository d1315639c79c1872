"""Diffusion Policy (1-D conditional U-Net over action sequences); the config imports no torch."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lr_policies.diffusion.config import DiffusionConfig
    from lr_policies.diffusion.model import DiffusionPolicy

__all__ = ["DiffusionConfig", "DiffusionPolicy"]


def __getattr__(name: str) -> Any:
    if name == "DiffusionConfig":
        from lr_policies.diffusion.config import DiffusionConfig

        return DiffusionConfig
    if name == "DiffusionPolicy":
        from lr_policies.diffusion.model import DiffusionPolicy

        return DiffusionPolicy
    raise AttributeError(f"module 'lr_policies.diffusion' has no attribute {name!r}")
