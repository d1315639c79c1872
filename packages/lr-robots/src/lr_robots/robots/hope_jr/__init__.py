"""HopeJR humanoid arm and hand (``hope_jr_arm``, ``hope_jr_hand``): Feetech SM8512BL, STS3250
and SCS0009 servos."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lr_core.lazy import lazy_exports

_EXPORTS: dict[str, str] = {
    "HopeJrArm": "lr_robots.robots.hope_jr.robot",
    "HopeJrArmConfig": "lr_robots.robots.hope_jr.config",
    "HopeJrHand": "lr_robots.robots.hope_jr.robot",
    "HopeJrHandConfig": "lr_robots.robots.hope_jr.config",
}

__all__, __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, distribution="lr-robots")

if TYPE_CHECKING:
    from lr_robots.robots.hope_jr.config import HopeJrArmConfig, HopeJrHandConfig
    from lr_robots.robots.hope_jr.robot import HopeJrArm, HopeJrHand
