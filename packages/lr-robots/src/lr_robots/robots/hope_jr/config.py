"""Configs of the HopeJR arm and hand: LeRobot 0.6.1's fields and defaults."""

from __future__ import annotations

from typing import ClassVar, Literal

from lr_core.devices import CameraConfig, RobotConfig


class HopeJrArmConfig(RobotConfig):
    """``--robot.type=hope_jr_arm``; ``max_relative_target`` as on the other arms."""

    type: Literal["hope_jr_arm"] = "hope_jr_arm"
    implementation: ClassVar[str] = "lr_robots.robots.hope_jr.robot:HopeJrArm"

    port: str
    disable_torque_on_disconnect: bool = True
    max_relative_target: float | dict[str, float] | None = None
    cameras: dict[str, CameraConfig] = {}


class HopeJrHandConfig(RobotConfig):
    """``--robot.type=hope_jr_hand --robot.side=right`` (or ``left``): which hand decides the
    tendon motors whose direction is inverted."""

    type: Literal["hope_jr_hand"] = "hope_jr_hand"
    implementation: ClassVar[str] = "lr_robots.robots.hope_jr.robot:HopeJrHand"

    port: str
    side: Literal["left", "right"]
    disable_torque_on_disconnect: bool = True
    cameras: dict[str, CameraConfig] = {}
