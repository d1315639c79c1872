"""lr-dataset: LeRobotDataset v3.0 reading and writing, video, tools and Hub access."""

from __future__ import annotations

from typing import Any

__all__ = ["__version__"]


def __getattr__(name: str) -> Any:
    if name == "__version__":
        from importlib.metadata import version

        return version("lr-dataset")
    raise AttributeError(f"module 'lr_dataset' has no attribute {name!r}")
