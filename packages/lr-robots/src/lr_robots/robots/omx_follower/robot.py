"""``OmxFollower``: the ROBOTIS OMX follower (LeRobot's ``omx_follower``).

Three XL430-W250 and three XL330-M288, ids 11-16. The OMX comes calibrated from the factory:
``calibrate`` writes the factory values (offset 0, the whole turn, no inversion, Extended
Position mode) instead of asking the user to move the arm, as LeRobot does. ``configure`` is the
Koch follower's.
"""

from __future__ import annotations

from typing import ClassVar

from lr_core.motors import Calibration, MotorCalibration
from lr_motors.dynamixel.bus import DriveMode, DynamixelMotorsBus, OperatingMode
from lr_robots.robots.arm import MotorArm
from lr_robots.robots.koch_follower.robot import configure_dynamixel_arm, dynamixel_arm_motors
from lr_robots.robots.omx_follower.config import OmxFollowerConfig


def factory_calibration(
    arm: MotorArm, drive_modes: dict[str, int], offsets: dict[str, int]
) -> Calibration:
    """Write and return an OMX factory calibration: Extended Position, the given drive modes
    and offsets, the whole turn as range."""
    bus = arm.bus
    bus.disable_torque()
    writes: list[tuple[str, str, int]] = []
    for motor in bus.motors:
        writes.append((motor, "Operating_Mode", int(OperatingMode.EXTENDED_POSITION)))
        writes.append((motor, "Drive_Mode", drive_modes.get(motor, int(DriveMode.NON_INVERTED))))
    bus.apply(bus.plan(writes))
    calibration = {
        motor: MotorCalibration(
            id=m.id,
            drive_mode=drive_modes.get(motor, 0),
            homing_offset=offsets.get(motor, 0),
            range_min=0,
            range_max=4095,
        )
        for motor, m in bus.motors.items()
    }
    bus.write_calibration(calibration)
    return calibration


class OmxFollower(MotorArm):
    """The OMX follower (see the module docstring)."""

    config_class: ClassVar[type[OmxFollowerConfig]] = OmxFollowerConfig
    name: ClassVar[str] = "omx_follower"

    config: OmxFollowerConfig

    def make_bus(self) -> DynamixelMotorsBus:
        """Dynamixel bus of the six servos (ids 11-16), with the loaded calibration."""
        models = ["xl430-w250"] * 3 + ["xl330-m288"] * 3
        return DynamixelMotorsBus(
            self.config.port,
            dynamixel_arm_motors(models, self.config.use_degrees, first_id=11),
            self.calibration,
        )

    def calibrate(self) -> None:
        """Write the factory calibration and save it (nothing to move by hand)."""
        self._require_connected()
        with self.named_errors():
            self.calibration = factory_calibration(self, {}, {})
            self.save_calibration()
        print(f"Calibration saved to {self.calibration_fpath}")

    def configure(self) -> None:
        """The Koch follower's settings."""
        configure_dynamixel_arm(self)
