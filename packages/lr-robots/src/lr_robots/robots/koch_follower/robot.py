"""``KochFollower``: the Koch v1.0 / v1.1 follower (LeRobot's ``koch_follower``).

Two XL430-W250 (shoulder) and four XL330-M288 on a Dynamixel bus, ids 1-6. Calibration
(LeRobot's): Extended Position mode on every motor (homing offsets beyond ±1024 count there),
half-turn homing, ranges recorded for every joint but ``shoulder_pan`` and ``wrist_roll`` (full
turns). ``configure``: Extended Position mode on the joints, so an arm assembled with a servo
near 0 or 4095 cannot wrap; Current-based Position mode on the gripper, so it grasps without
forcing; stiffer PID on the elbow.
"""

from __future__ import annotations

from typing import ClassVar

from lr_core.motors import Motor, MotorNormMode
from lr_motors.dynamixel.bus import DynamixelMotorsBus, OperatingMode
from lr_robots.robots.arm import MotorArm
from lr_robots.robots.koch_follower.config import KochFollowerConfig

JOINTS = ("shoulder_pan", "shoulder_lift", "elbow_flex", "wrist_flex", "wrist_roll", "gripper")


def dynamixel_arm_motors(
    models: list[str], use_degrees: bool, first_id: int = 1
) -> dict[str, Motor]:
    """Six motors named as LeRobot's arms, ids from ``first_id``; the gripper is 0..100."""
    body = MotorNormMode.DEGREES if use_degrees else MotorNormMode.RANGE_M100_100
    return {
        name: Motor(
            id=first_id + i,
            model=model,
            norm_mode=MotorNormMode.RANGE_0_100 if name == "gripper" else body,
        )
        for i, (name, model) in enumerate(zip(JOINTS, models, strict=True))
    }


def configure_dynamixel_arm(arm: MotorArm) -> None:
    """Koch / OMX followers: Extended Position on the joints, Current-based Position on the
    gripper, elbow PID 1500/0/600 (LeRobot's values), with torque off during the writes."""
    bus = arm.bus
    with bus.torque_disabled():
        bus.configure_motors()
        writes: list[tuple[str, str, int]] = [
            (m, "Operating_Mode", int(OperatingMode.EXTENDED_POSITION))
            for m in bus.motors
            if m != "gripper"
        ]
        writes += [
            ("gripper", "Operating_Mode", int(OperatingMode.CURRENT_POSITION)),
            ("elbow_flex", "Position_P_Gain", 1500),
            ("elbow_flex", "Position_I_Gain", 0),
            ("elbow_flex", "Position_D_Gain", 600),
        ]
        bus.apply(bus.plan(writes))


class KochFollower(MotorArm):
    """The Koch follower (see the module docstring)."""

    config_class: ClassVar[type[KochFollowerConfig]] = KochFollowerConfig
    name: ClassVar[str] = "koch_follower"
    full_turn_motors: ClassVar[tuple[str, ...]] = ("shoulder_pan", "wrist_roll")

    config: KochFollowerConfig

    def make_bus(self) -> DynamixelMotorsBus:
        """Dynamixel bus of the six servos, with the loaded calibration."""
        models = ["xl430-w250"] * 2 + ["xl330-m288"] * 4
        return DynamixelMotorsBus(
            self.config.port, dynamixel_arm_motors(models, self.config.use_degrees),
            self.calibration,
        )  # fmt: skip

    def prepare_calibration(self) -> None:
        """Extended Position mode on every motor before homing."""
        self.write_all("Operating_Mode", OperatingMode.EXTENDED_POSITION)

    def configure(self) -> None:
        """See :func:`configure_dynamixel_arm`."""
        configure_dynamixel_arm(self)
