"""Config of the bimanual SO leader: LeRobot 0.6.1's fields."""

from __future__ import annotations

from typing import ClassVar, Literal

from lr_core.devices import TeleoperatorConfig
from lr_robots.teleoperators.so_leader.config import SOLeaderConfig


class BiSOLeaderConfig(TeleoperatorConfig):
    """``--teleop.type=bi_so_leader --teleop.left_arm_config.port=... --teleop.right_arm_config
    .port=...``."""

    type: Literal["bi_so_leader"] = "bi_so_leader"
    implementation: ClassVar[str] = "lr_robots.teleoperators.bi_so_leader.teleoperator:BiSOLeader"

    left_arm_config: SOLeaderConfig
    """The left leader arm (its actions are prefixed left_)."""
    right_arm_config: SOLeaderConfig
    """The right leader arm (its actions are prefixed right_)."""
