"""Config of the Koch follower: LeRobot 0.6.1's fields and defaults."""

from __future__ import annotations

from typing import ClassVar, Literal

from lr_core.devices import CameraConfig, RobotConfig


class KochFollowerConfig(RobotConfig):
    """``--robot.type=koch_follower``. ``max_relative_target``: one cap for all motors or one
    per motor (normalised units). ``use_degrees`` is off by default (LeRobot's: -100..100)."""

    type: Literal["koch_follower"] = "koch_follower"
    implementation: ClassVar[str] = "lr_robots.robots.koch_follower.robot:KochFollower"

    port: str
    disable_torque_on_disconnect: bool = True
    max_relative_target: float | dict[str, float] | None = None
    cameras: dict[str, CameraConfig] = {}
    use_degrees: bool = False
