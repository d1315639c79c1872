"""Koch v1.0 / v1.1 follower arm (``koch_follower``): Dynamixel XL430 and XL330 servos."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lr_core.lazy import lazy_exports

_EXPORTS: dict[str, str] = {
    "KochFollower": "lr_robots.robots.koch_follower.robot",
    "KochFollowerConfig": "lr_robots.robots.koch_follower.config",
}

__all__, __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, distribution="lr-robots")

if TYPE_CHECKING:
    from lr_robots.robots.koch_follower.config import KochFollowerConfig
    from lr_robots.robots.koch_follower.robot import KochFollower
