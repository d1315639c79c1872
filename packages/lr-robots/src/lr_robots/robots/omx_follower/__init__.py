"""ROBOTIS OMX follower arm (``omx_follower``): Dynamixel XL430 / XL330, ids 11-16."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lr_core.lazy import lazy_exports

_EXPORTS: dict[str, str] = {
    "OmxFollower": "lr_robots.robots.omx_follower.robot",
    "OmxFollowerConfig": "lr_robots.robots.omx_follower.config",
}

__all__, __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, distribution="lr-robots")

if TYPE_CHECKING:
    from lr_robots.robots.omx_follower.config import OmxFollowerConfig
    from lr_robots.robots.omx_follower.robot import OmxFollower
