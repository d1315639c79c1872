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
    """Serial port of the arm's motor bus (e.g. /dev/ttyACM0; lr find-port finds it)."""
    disable_torque_on_disconnect: bool = True
    """Turn the motors' torque off when disconnecting (false: they keep holding)."""
    max_relative_target: float | dict[str, float] | None = None
    """Safety cap on each step's motion, in normalised units: one number for every motor or
    {motor: cap} for each (null: no cap)."""
    cameras: dict[str, CameraConfig] = {}
    """Cameras read with each observation, {name: camera config}."""
    use_degrees: bool = True
    """Body joints in degrees from the middle of their range (LeRobot's default); false:
    -100..100. The gripper is always 0..100."""
    position_p_coefficient: int = 16
    """Position-mode P gain written to the Feetech STS3215 motors at connect time."""
    position_i_coefficient: int = 0
    """Position-mode I gain written to the motors at connect time."""
    position_d_coefficient: int = 32
    """Position-mode D gain written to the motors at connect time."""
    num_read_retries: int = 2
    """Extra immediate attempts when a read of the motors fails (a corrupted status packet)."""


class SOFollowerRobotConfig(RobotConfig, SOFollowerConfig):
    """``--robot.type=so101_follower`` (or ``so100_follower``: the same arm and config)."""

    type: Literal["so100_follower", "so101_follower"] = "so101_follower"
    implementation: ClassVar[str] = "lr_robots.robots.so_follower.robot:SOFollower"


SO100FollowerConfig = SOFollowerRobotConfig
SO101FollowerConfig = SOFollowerRobotConfig
