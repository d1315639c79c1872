"""lr-sim: MuJoCo and Meta-World environments, scripted experts, simulated robots."""

from __future__ import annotations

from typing import Any

__all__ = ["__version__"]


def __getattr__(name: str) -> Any:
    if name == "__version__":
        from importlib.metadata import version

        return version("lr-sim")
    raise AttributeError(f"module 'lr_sim' has no attribute {name!r}")
