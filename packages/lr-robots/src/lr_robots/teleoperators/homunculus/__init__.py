"""HopeJR's exoskeleton arm and glove (``homunculus_arm``, ``homunculus_glove``): ESP32 boards
streaming joint readings as text lines over USB serial."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lr_core.lazy import lazy_exports

_EXPORTS: dict[str, str] = {
    "HomunculusArm": "lr_robots.teleoperators.homunculus.teleoperator",
    "HomunculusArmConfig": "lr_robots.teleoperators.homunculus.config",
    "HomunculusGlove": "lr_robots.teleoperators.homunculus.teleoperator",
    "HomunculusGloveConfig": "lr_robots.teleoperators.homunculus.config",
    "LineDeviceEmulator": "lr_robots.teleoperators.homunculus.emulator",
}

__all__, __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, distribution="lr-robots")

if TYPE_CHECKING:
    from lr_robots.teleoperators.homunculus.config import (
        HomunculusArmConfig,
        HomunculusGloveConfig,
    )
    from lr_robots.teleoperators.homunculus.emulator import LineDeviceEmulator
    from lr_robots.teleoperators.homunculus.teleoperator import HomunculusArm, HomunculusGlove
