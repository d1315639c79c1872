"""The arm and its leader: name the motors, say how to configure them; lr-robots does the
rest (calibration, clamps, safe shutdown, features, the lr commands)."""

from __future__ import annotations

from typing import ClassVar

from lr_core.motors import Motor, MotorNormMode
from lr_motors.feetech.bus import FeetechMotorsBus
from lr_robot_plugin_example.config import ExampleArmConfig, ExampleArmLeaderConfig
from lr_robots.robots.arm import MotorArm
from lr_robots.teleoperators.leader import LeaderArm


def motors() -> dict[str, Motor]:
    """Base yaw, elbow and a gripper on one Feetech bus."""
    return {
        "base": Motor(id=1, model="sts3215", norm_mode=MotorNormMode.DEGREES),
        "elbow": Motor(id=2, model="sts3215", norm_mode=MotorNormMode.DEGREES),
        "gripper": Motor(id=3, model="sts3215", norm_mode=MotorNormMode.RANGE_0_100),
    }


class ExampleArm(MotorArm):
    """The follower: position mode, LeRobot-style calibration with a full-turn base."""

    config_class: ClassVar[type[ExampleArmConfig]] = ExampleArmConfig
    name: ClassVar[str] = "example_arm"
    full_turn_motors: ClassVar[tuple[str, ...]] = ("base",)

    def make_bus(self) -> FeetechMotorsBus:
        return FeetechMotorsBus(self.config.port, motors(), self.calibration)

    def configure(self) -> None:
        with self.bus.torque_disabled():
            self.bus.configure_motors()
            self.write_all("Operating_Mode", 0)


class ExampleArmLeader(LeaderArm):
    """The leader: the same motors, moved by hand with torque off."""

    config_class: ClassVar[type[ExampleArmLeaderConfig]] = ExampleArmLeaderConfig
    name: ClassVar[str] = "example_arm_leader"
    full_turn_motors: ClassVar[tuple[str, ...]] = ("base",)

    def make_bus(self) -> FeetechMotorsBus:
        return FeetechMotorsBus(self.config.port, motors(), self.calibration)

    def configure(self) -> None:
        self.bus.disable_torque()
        self.bus.configure_motors()
