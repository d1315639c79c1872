"""lr-inference: async inference — a torch-free robot client and a policy server."""

from __future__ import annotations

from typing import Any

__all__ = ["__version__"]


def __getattr__(name: str) -> Any:
    if name == "__version__":
        from importlib.metadata import version

        return version("lr-inference")
    raise AttributeError(f"module 'lr_inference' has no attribute {name!r}")
