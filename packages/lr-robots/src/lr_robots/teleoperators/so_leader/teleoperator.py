"""``SOLeader``: the SO-100 / SO-101 leader arm (LeRobot's ``so_leader``).

The same six STS3215 and calibration as the follower; torque stays off so a person moves it.
``send_feedback`` can move it to positions (torque must be enabled for that).
"""

from __future__ import annotations

from typing import ClassVar

from lr_motors.feetech.bus import FeetechMotorsBus, OperatingMode
from lr_robots.robots.so_follower.robot import so_arm_motors
from lr_robots.teleoperators.leader import LeaderArm
from lr_robots.teleoperators.so_leader.config import SOLeaderTeleopConfig


class SOLeader(LeaderArm):
    """The SO-100 / SO-101 leader (see the module docstring)."""

    config_class: ClassVar[type[SOLeaderTeleopConfig]] = SOLeaderTeleopConfig
    name: ClassVar[str] = "so_leader"
    full_turn_motors: ClassVar[tuple[str, ...]] = ("wrist_roll",)
    accepts_feedback: ClassVar[bool] = True

    config: SOLeaderTeleopConfig

    def make_bus(self) -> FeetechMotorsBus:
        """Feetech bus of the six STS3215, with the loaded calibration."""
        return FeetechMotorsBus(
            self.config.port, so_arm_motors(self.config.use_degrees), self.calibration
        )

    def prepare_calibration(self) -> None:
        """Position mode on every motor before homing."""
        self.write_all("Operating_Mode", OperatingMode.POSITION)

    def configure(self) -> None:
        """Torque off, LeRobot's settings, position mode (torque stays off)."""
        self.bus.disable_torque()
        self.bus.configure_motors()
        self.write_all("Operating_Mode", OperatingMode.POSITION)


SO100Leader = SOLeader
SO101Leader = SOLeader
