"""``KochLeader``: the Koch leader arm (LeRobot's ``koch_leader``).

Six XL330-M077, ids 1-6. The joints are moved by hand with torque off; the gripper runs in
Current-based Position mode with torque on and its goal at ``gripper_open_pos``, so it is a
trigger: a finger squeezes it against the limited current and it springs open when released.
Calibration (LeRobot's): Extended Position mode, ``elbow_flex`` direction inverted
(``drive_mode`` 1), half-turn homing, ranges of every joint but ``shoulder_pan`` and
``wrist_roll``.
"""

from __future__ import annotations

from typing import ClassVar

from lr_motors.dynamixel.bus import DriveMode, DynamixelMotorsBus, OperatingMode
from lr_robots.robots.koch_follower.robot import dynamixel_arm_motors
from lr_robots.teleoperators.koch_leader.config import KochLeaderConfig
from lr_robots.teleoperators.leader import LeaderArm


def configure_trigger_leader(leader: LeaderArm) -> None:
    """Torque off; joints in Extended Position mode, the gripper in Current-based Position
    mode (a trigger once :func:`open_trigger` gives it torque and a goal)."""
    bus = leader.bus
    bus.disable_torque()
    bus.configure_motors()
    writes: list[tuple[str, str, int]] = [
        (m, "Operating_Mode", int(OperatingMode.EXTENDED_POSITION))
        for m in bus.motors
        if m != "gripper"
    ]
    writes.append(("gripper", "Operating_Mode", int(OperatingMode.CURRENT_POSITION)))
    bus.apply(bus.plan(writes))


def open_trigger(leader: LeaderArm, gripper_open_pos: float) -> None:
    """Torque on the gripper and its goal at ``gripper_open_pos`` (only when calibrated: the
    goal is in normalised units)."""
    leader.bus.enable_torque(["gripper"])
    if leader.bus.calibration and leader.is_calibrated:
        leader.bus.write("Goal_Position", "gripper", gripper_open_pos)


class KochLeader(LeaderArm):
    """The Koch leader (see the module docstring)."""

    config_class: ClassVar[type[KochLeaderConfig]] = KochLeaderConfig
    name: ClassVar[str] = "koch_leader"
    full_turn_motors: ClassVar[tuple[str, ...]] = ("shoulder_pan", "wrist_roll")
    calibration_drive_modes: ClassVar[dict[str, int]] = {"elbow_flex": 1}

    config: KochLeaderConfig

    def make_bus(self) -> DynamixelMotorsBus:
        """Dynamixel bus of the six XL330-M077, with the loaded calibration."""
        return DynamixelMotorsBus(
            self.config.port, dynamixel_arm_motors(["xl330-m077"] * 6, False), self.calibration
        )

    def prepare_calibration(self) -> None:
        """Extended Position mode on every motor, ``elbow_flex`` inverted, before homing."""
        self.write_all("Operating_Mode", OperatingMode.EXTENDED_POSITION)
        self.bus.write("Drive_Mode", "elbow_flex", int(DriveMode.INVERTED), normalize=False)

    def configure(self) -> None:
        """Joints free; the gripper a trigger at ``gripper_open_pos``."""
        configure_trigger_leader(self)
        open_trigger(self, self.config.gripper_open_pos)
