"""Koch leader arm (``koch_leader``): six XL330-M077, the gripper a spring-back trigger."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lr_core.lazy import lazy_exports

_EXPORTS: dict[str, str] = {
    "KochLeader": "lr_robots.teleoperators.koch_leader.teleoperator",
    "KochLeaderConfig": "lr_robots.teleoperators.koch_leader.config",
}

__all__, __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, distribution="lr-robots")

if TYPE_CHECKING:
    from lr_robots.teleoperators.koch_leader.config import KochLeaderConfig
    from lr_robots.teleoperators.koch_leader.teleoperator import KochLeader
