"""``SOFollower``: the SO-100 / SO-101 follower arm (LeRobot's ``so_follower``).

Six STS3215 on one Feetech bus, ids 1-6. Calibration (LeRobot's): position mode, half-turn
homing with the arm mid-range, then every joint but ``wrist_roll`` (a full turn) through its
range. ``configure`` writes LeRobot's position PID gains and limits the gripper's torque and
current to half, so it cannot burn out holding an object.
"""

from __future__ import annotations

from typing import ClassVar

from lr_core.motors import Motor, MotorNormMode
from lr_motors.feetech.bus import FeetechMotorsBus, OperatingMode
from lr_robots.robots.arm import MotorArm
from lr_robots.robots.so_follower.config import SOFollowerRobotConfig

JOINTS = ("shoulder_pan", "shoulder_lift", "elbow_flex", "wrist_flex", "wrist_roll", "gripper")


def so_arm_motors(use_degrees: bool) -> dict[str, Motor]:
    """The six motors of an SO arm (follower and leader alike)."""
    body = MotorNormMode.DEGREES if use_degrees else MotorNormMode.RANGE_M100_100
    return {
        name: Motor(
            id=i + 1,
            model="sts3215",
            norm_mode=MotorNormMode.RANGE_0_100 if name == "gripper" else body,
        )
        for i, name in enumerate(JOINTS)
    }


class SOFollower(MotorArm):
    """The SO-100 / SO-101 follower (see the module docstring)."""

    config_class: ClassVar[type[SOFollowerRobotConfig]] = SOFollowerRobotConfig
    name: ClassVar[str] = "so_follower"
    full_turn_motors: ClassVar[tuple[str, ...]] = ("wrist_roll",)

    config: SOFollowerRobotConfig

    def make_bus(self) -> FeetechMotorsBus:
        """Feetech bus of the six STS3215, with the loaded calibration."""
        return FeetechMotorsBus(
            self.config.port, so_arm_motors(self.config.use_degrees), self.calibration
        )

    def prepare_calibration(self) -> None:
        """Position mode on every motor before homing."""
        self.write_all("Operating_Mode", OperatingMode.POSITION)

    def configure(self) -> None:
        """Torque off; LeRobot's settings, position mode, PID gains, gripper limits (all
        checked before the first write); torque on."""
        cfg = self.config
        with self.bus.torque_disabled():
            self.bus.configure_motors()
            writes: list[tuple[str, str, int]] = []
            for motor in self.bus.motors:
                writes += [
                    (motor, "Operating_Mode", int(OperatingMode.POSITION)),
                    (motor, "P_Coefficient", cfg.position_p_coefficient),
                    (motor, "I_Coefficient", cfg.position_i_coefficient),
                    (motor, "D_Coefficient", cfg.position_d_coefficient),
                ]
            writes += [
                ("gripper", "Max_Torque_Limit", 500),  # 50 % of the maximum torque
                ("gripper", "Protection_Current", 250),  # 50 % of the maximum current
                ("gripper", "Overload_Torque", 25),  # 25 % torque when overloaded
            ]
            self.bus.apply(self.bus.plan(writes))


SO100Follower = SOFollower
SO101Follower = SOFollower
