"""``OmxLeader``: the ROBOTIS OMX leader (LeRobot's ``omx_leader``).

Ids 1-6; factory calibration (offset 0, the whole turn) with the gripper inverted and offset by
100 ticks, as LeRobot writes it. ``configure``: joints free in Extended Position mode, the
gripper a Current-based Position trigger limited to 100 (current units) at
``gripper_open_pos``.
"""

from __future__ import annotations

from typing import ClassVar

from lr_motors.dynamixel.bus import DriveMode, DynamixelMotorsBus
from lr_robots.robots.koch_follower.robot import dynamixel_arm_motors
from lr_robots.robots.omx_follower.robot import factory_calibration
from lr_robots.teleoperators.koch_leader.teleoperator import (
    configure_trigger_leader,
    open_trigger,
)
from lr_robots.teleoperators.leader import LeaderArm
from lr_robots.teleoperators.omx_leader.config import OmxLeaderConfig

GRIPPER_DRIVE_MODES = {"gripper": int(DriveMode.INVERTED)}
GRIPPER_OFFSETS = {"gripper": 100}


class OmxLeader(LeaderArm):
    """The OMX leader (see the module docstring)."""

    config_class: ClassVar[type[OmxLeaderConfig]] = OmxLeaderConfig
    name: ClassVar[str] = "omx_leader"

    config: OmxLeaderConfig

    def make_bus(self) -> DynamixelMotorsBus:
        """Dynamixel bus of the six XL330, with the loaded calibration."""
        models = ["xl330-m288"] * 5 + ["xl330-m077"]
        return DynamixelMotorsBus(
            self.config.port, dynamixel_arm_motors(models, False), self.calibration
        )

    def calibrate(self) -> None:
        """Write the factory calibration (gripper inverted, offset 100) and save it."""
        self._require_connected()
        with self.named_errors():
            self.calibration = factory_calibration(self, GRIPPER_DRIVE_MODES, GRIPPER_OFFSETS)
            self.save_calibration()
        print(f"Calibration saved to {self.calibration_fpath}")

    def configure(self) -> None:
        """Joints free; gripper inverted, current-limited, a trigger at ``gripper_open_pos``."""
        configure_trigger_leader(self)
        bus = self.bus
        writes: list[tuple[str, str, int]] = [
            (m, "Drive_Mode", GRIPPER_DRIVE_MODES.get(m, int(DriveMode.NON_INVERTED)))
            for m in bus.motors
        ]
        writes += [
            ("gripper", "Current_Limit", 100),
            ("gripper", "Goal_Current", 100),
            ("gripper", "Homing_Offset", 100),
        ]
        bus.apply(bus.plan(writes))
        open_trigger(self, self.config.gripper_open_pos)
