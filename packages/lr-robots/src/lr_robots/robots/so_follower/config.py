"""Configs of the SO-100 / SO-101 followers: LeRobot 0.6.1's fields, names and defaults."""

from __future__ import annotations

from typing import ClassVar, Literal

from lr_core.config import LrConfig
from lr_core.devices import CameraConfig, RobotConfig


class SOFollowerConfig(LrConfig):
    """The fields of one SO follower arm (also the per-arm part of ``bi_so_follower``).

    ``max_relative_target`` caps each step's motion (normalised units): one number for every
    motor, or ``{motor: cap}`` for each. ``use_degrees`` (default, as LeRobot) reads the body
    joints in degrees from the middle of their range; ``False`` gives -100..100. The gripper is
    always 0..100. The PID gains are written at connect time; ``num_read_retries`` retries a
    failed position read immediately.
    """

    port: str
    disable_torque_on_disconnect: bool = True
    max_relative_target: float | dict[str, float] | None = None
    cameras: dict[str, CameraConfig] = {}
    use_degrees: bool = True
    position_p_coefficient: int = 16
    position_i_coefficient: int = 0
    position_d_coefficient: int = 32
    num_read_retries: int = 2


class SOFollowerRobotConfig(RobotConfig, SOFollowerConfig):
    """``--robot.type=so101_follower`` (or ``so100_follower``: the same arm and config)."""

    type: Literal["so100_follower", "so101_follower"] = "so101_follower"
    implementation: ClassVar[str] = "lr_robots.robots.so_follower.robot:SOFollower"


SO100FollowerConfig = SOFollowerRobotConfig
SO101FollowerConfig = SOFollowerRobotConfig
