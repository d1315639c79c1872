"""SO-100 / SO-101 follower arms (``so100_follower``, ``so101_follower``): six STS3215 servos.

Port from LeRobot by changing the import: ``from lr_robots.robots.so_follower import
SO101Follower, SO101FollowerConfig``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lr_core.lazy import lazy_exports

_EXPORTS: dict[str, str] = {
    "SO100Follower": "lr_robots.robots.so_follower.robot",
    "SO100FollowerConfig": "lr_robots.robots.so_follower.config",
    "SO101Follower": "lr_robots.robots.so_follower.robot",
    "SO101FollowerConfig": "lr_robots.robots.so_follower.config",
    "SOFollower": "lr_robots.robots.so_follower.robot",
    "SOFollowerConfig": "lr_robots.robots.so_follower.config",
    "SOFollowerRobotConfig": "lr_robots.robots.so_follower.config",
}

__all__, __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, distribution="lr-robots")

if TYPE_CHECKING:
    from lr_robots.robots.so_follower.config import (
        SO100FollowerConfig,
        SO101FollowerConfig,
        SOFollowerConfig,
        SOFollowerRobotConfig,
    )
    from lr_robots.robots.so_follower.robot import SO100Follower, SO101Follower, SOFollower
