"""lr-motors: Feetech and Dynamixel servo buses, calibration and a servo emulator."""

from __future__ import annotations

from typing import Any

__all__ = ["__version__"]


def __getattr__(name: str) -> Any:
    if name == "__version__":
        from importlib.metadata import version

        return version("lr-motors")
    raise AttributeError(f"module 'lr_motors' has no attribute {name!r}")
