"""Configs of the SO-100 / SO-101 leaders: LeRobot 0.6.1's fields, names and defaults."""

from __future__ import annotations

from typing import ClassVar, Literal

from lr_core.config import LrConfig
from lr_core.devices import TeleoperatorConfig


class SOLeaderConfig(LrConfig):
    """The fields of one SO leader arm (also the per-arm part of ``bi_so_leader``):
    ``use_degrees`` as on the follower (they must match), ``num_read_retries`` immediate
    retries of a failed read."""

    port: str
    """Serial port of the arm's motor bus (e.g. /dev/ttyACM0; lr find-port finds it)."""
    use_degrees: bool = True
    """Body joints in degrees (LeRobot's default); false: -100..100. Must match the follower."""
    num_read_retries: int = 2
    """Extra immediate attempts when a read of the motors fails (a corrupted status packet)."""


class SOLeaderTeleopConfig(TeleoperatorConfig, SOLeaderConfig):
    """``--teleop.type=so101_leader`` (or ``so100_leader``)."""

    type: Literal["so100_leader", "so101_leader"] = "so101_leader"
    implementation: ClassVar[str] = "lr_robots.teleoperators.so_leader.teleoperator:SOLeader"


SO100LeaderConfig = SOLeaderTeleopConfig
SO101LeaderConfig = SOLeaderTeleopConfig
