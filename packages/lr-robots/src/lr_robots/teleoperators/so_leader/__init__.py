"""SO-100 / SO-101 leader arms (``so100_leader``, ``so101_leader``): six STS3215, moved by hand."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lr_core.lazy import lazy_exports

_EXPORTS: dict[str, str] = {
    "SO100Leader": "lr_robots.teleoperators.so_leader.teleoperator",
    "SO100LeaderConfig": "lr_robots.teleoperators.so_leader.config",
    "SO101Leader": "lr_robots.teleoperators.so_leader.teleoperator",
    "SO101LeaderConfig": "lr_robots.teleoperators.so_leader.config",
    "SOLeader": "lr_robots.teleoperators.so_leader.teleoperator",
    "SOLeaderConfig": "lr_robots.teleoperators.so_leader.config",
    "SOLeaderTeleopConfig": "lr_robots.teleoperators.so_leader.config",
}

__all__, __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, distribution="lr-robots")

if TYPE_CHECKING:
    from lr_robots.teleoperators.so_leader.config import (
        SO100LeaderConfig,
        SO101LeaderConfig,
        SOLeaderConfig,
        SOLeaderTeleopConfig,
    )
    from lr_robots.teleoperators.so_leader.teleoperator import SO100Leader, SO101Leader, SOLeader
