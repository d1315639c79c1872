"""lr-policies: ACT and Diffusion Policy in pure PyTorch, processors, training."""

from __future__ import annotations

from typing import Any

__all__ = ["__version__"]


def __getattr__(name: str) -> Any:
    if name == "__version__":
        from importlib.metadata import version

        return version("lr-policies")
    raise AttributeError(f"module 'lr_policies' has no attribute {name!r}")
