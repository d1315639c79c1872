"""LeKiwi's teleoperation from the laptop as one teleoperator (``lekiwi_leader``): a leader arm
for the arm, the keyboard for the base, as LeRobot's ``examples/lekiwi/teleoperate.py`` pairs
them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lr_core.lazy import lazy_exports

_EXPORTS: dict[str, str] = {
    "LeKiwiLeader": "lr_robots.teleoperators.lekiwi_leader.teleoperator",
    "LeKiwiLeaderConfig": "lr_robots.teleoperators.lekiwi_leader.config",
}

__all__, __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, distribution="lr-robots")

if TYPE_CHECKING:
    from lr_robots.teleoperators.lekiwi_leader.config import LeKiwiLeaderConfig
    from lr_robots.teleoperators.lekiwi_leader.teleoperator import LeKiwiLeader
