"""Two SO follower arms as one robot (``bi_so_follower``), ALOHA-style."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lr_core.lazy import lazy_exports

_EXPORTS: dict[str, str] = {
    "BiSOFollower": "lr_robots.robots.bi_so_follower.robot",
    "BiSOFollowerConfig": "lr_robots.robots.bi_so_follower.config",
}

__all__, __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, distribution="lr-robots")

if TYPE_CHECKING:
    from lr_robots.robots.bi_so_follower.config import BiSOFollowerConfig
    from lr_robots.robots.bi_so_follower.robot import BiSOFollower
