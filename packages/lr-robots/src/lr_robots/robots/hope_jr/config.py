"""Configs of the HopeJR arm and hand: LeRobot 0.6.1's fields and defaults."""

from __future__ import annotations

from typing import ClassVar, Literal

from lr_core.devices import CameraConfig, RobotConfig


class HopeJrArmConfig(RobotConfig):
    """``--robot.type=hope_jr_arm``; ``max_relative_target`` as on the other arms."""

    type: Literal["hope_jr_arm"] = "hope_jr_arm"
    implementation: ClassVar[str] = "lr_robots.robots.hope_jr.robot:HopeJrArm"

    port: str
    """Serial port of the arm's motor bus (e.g. /dev/ttyACM0; lr find-port finds it)."""
    disable_torque_on_disconnect: bool = True
    """Turn the motors' torque off when disconnecting (false: they keep holding)."""
    max_relative_target: float | dict[str, float] | None = None
    """Safety cap on each step's motion, in normalised units: one number for every motor or
    {motor: cap} for each (null: no cap)."""
    cameras: dict[str, CameraConfig] = {}
    """Cameras read with each observation, {name: camera config}."""


class HopeJrHandConfig(RobotConfig):
    """``--robot.type=hope_jr_hand --robot.side=right`` (or ``left``): which hand decides the
    tendon motors whose direction is inverted."""

    type: Literal["hope_jr_hand"] = "hope_jr_hand"
    implementation: ClassVar[str] = "lr_robots.robots.hope_jr.robot:HopeJrHand"

    port: str
    """Serial port of the hand's motor bus (e.g. /dev/ttyACM0)."""
    side: Literal["left", "right"]
    """Which hand: it decides the tendon motors whose direction is inverted."""
    disable_torque_on_disconnect: bool = True
    """Turn the motors' torque off when disconnecting (false: they keep holding)."""
    cameras: dict[str, CameraConfig] = {}
    """Cameras read with each observation, {name: camera config}."""
