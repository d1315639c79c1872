"""lr-robots: robots, teleoperators, cameras and the teleoperate/record/replay loops."""

from __future__ import annotations

from typing import Any

__all__ = ["__version__"]


def __getattr__(name: str) -> Any:
    if name == "__version__":
        from importlib.metadata import version

        return version("lr-robots")
    raise AttributeError(f"module 'lr_robots' has no attribute {name!r}")
