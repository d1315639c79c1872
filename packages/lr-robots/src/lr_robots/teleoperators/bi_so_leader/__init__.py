"""Two SO leader arms as one teleoperator (``bi_so_leader``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lr_core.lazy import lazy_exports

_EXPORTS: dict[str, str] = {
    "BiSOLeader": "lr_robots.teleoperators.bi_so_leader.teleoperator",
    "BiSOLeaderConfig": "lr_robots.teleoperators.bi_so_leader.config",
}

__all__, __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, distribution="lr-robots")

if TYPE_CHECKING:
    from lr_robots.teleoperators.bi_so_leader.config import BiSOLeaderConfig
    from lr_robots.teleoperators.bi_so_leader.teleoperator import BiSOLeader
