"""ROBOTIS OMX leader arm (``omx_leader``): five XL330-M288 and an XL330-M077 trigger gripper."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lr_core.lazy import lazy_exports

_EXPORTS: dict[str, str] = {
    "OmxLeader": "lr_robots.teleoperators.omx_leader.teleoperator",
    "OmxLeaderConfig": "lr_robots.teleoperators.omx_leader.config",
}

__all__, __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, distribution="lr-robots")

if TYPE_CHECKING:
    from lr_robots.teleoperators.omx_leader.config import OmxLeaderConfig
    from lr_robots.teleoperators.omx_leader.teleoperator import OmxLeader
