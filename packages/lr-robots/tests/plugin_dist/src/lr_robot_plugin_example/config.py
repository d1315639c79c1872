"""The configs: cheap to import (the registry loads them to parse ``--robot.type=...``)."""

from __future__ import annotations

from typing import ClassVar, Literal

from lr_core.devices import CameraConfig, RobotConfig, TeleoperatorConfig


class ExampleArmConfig(RobotConfig):
    """``--robot.type=example_arm --robot.port=... --robot.id=...``."""

    type: Literal["example_arm"] = "example_arm"
    implementation: ClassVar[str] = "lr_robot_plugin_example.robot:ExampleArm"

    port: str
    disable_torque_on_disconnect: bool = True
    max_relative_target: float | dict[str, float] | None = None
    cameras: dict[str, CameraConfig] = {}


class ExampleArmLeaderConfig(TeleoperatorConfig):
    """``--teleop.type=example_arm_leader --teleop.port=... --teleop.id=...``."""

    type: Literal["example_arm_leader"] = "example_arm_leader"
    implementation: ClassVar[str] = "lr_robot_plugin_example.robot:ExampleArmLeader"

    port: str
