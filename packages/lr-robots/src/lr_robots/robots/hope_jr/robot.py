"""``HopeJrArm`` and ``HopeJrHand``: the HopeJR humanoid's arm and hand (LeRobot's robots).

The arm: one SM8512BL (shoulder pitch) and six STS3250, ids 1-7, -100..100. The hand: sixteen
SCS0009 (Feetech protocol 1, 1024 ticks a turn, no offset register) pulling the finger tendons,
0..100, some inverted depending on the side.

Calibration replaces LeRobot's pygame range finder with the terminal: the offsets stay those in
the motors, and the ranges are recorded group by group (shoulder, elbow, wrist; or finger by
finger), each ended with Enter. A joint whose travel crosses the encoder's seam gets its offset
moved to hold the real arc (the arm); a hand servo cannot be re-homed, so such a travel is
refused naming the joint.
"""

from __future__ import annotations

from typing import ClassVar

from lr_core.motors import Calibration, Motor, MotorCalibration, MotorNormMode
from lr_motors.calibration import enter_pressed, fit_range, print_table, record_ranges
from lr_motors.feetech.bus import FeetechMotorsBus
from lr_motors.presets import HOPE_JR_ARM_JOINTS, HOPE_JR_HAND_JOINTS
from lr_robots.robots.arm import MotorArm
from lr_robots.robots.hope_jr.config import HopeJrArmConfig, HopeJrHandConfig

RIGHT_HAND_INVERSIONS = (
    "thumb_mcp", "thumb_dip", "index_ulnar_flexor", "middle_ulnar_flexor", "ring_ulnar_flexor",
    "ring_pip_dip", "pinky_ulnar_flexor", "pinky_pip_dip",
)  # fmt: skip
LEFT_HAND_INVERSIONS = (
    "thumb_cmc", "thumb_mcp", "thumb_dip", "index_radial_flexor", "index_pip_dip",
    "middle_radial_flexor", "middle_pip_dip", "ring_radial_flexor", "ring_pip_dip",
    "pinky_radial_flexor",
)  # fmt: skip


def record_by_groups(
    arm: MotorArm, groups: dict[str, list[str]], drive_modes: dict[str, int]
) -> Calibration:
    """Keep the motors' offsets, record each group's ranges (Enter ends a group), write and
    return the calibration."""
    bus = arm.bus
    bus.disable_torque()
    current = bus.read_calibration()
    offsets = {m: c.homing_offset for m, c in current.items()}
    calibration: Calibration = {}
    for group, motors in groups.items():
        print(f"Move the {group} joints of {arm} through their entire ranges of motion."
              "\nRecording positions. Press ENTER to stop...")  # fmt: skip
        mins, maxes = record_ranges(bus, motors, enter_pressed, print_table)
        for motor in motors:
            offset, lo, hi = fit_range(bus, motor, offsets[motor], mins[motor], maxes[motor])
            calibration[motor] = MotorCalibration(
                id=bus.motors[motor].id,
                drive_mode=drive_modes.get(motor, 0),
                homing_offset=offset,
                range_min=lo,
                range_max=hi,
            )
    bus.write_calibration(calibration)
    return calibration


class HopeJrArm(MotorArm):
    """The HopeJR arm (see the module docstring)."""

    config_class: ClassVar[type[HopeJrArmConfig]] = HopeJrArmConfig
    name: ClassVar[str] = "hope_jr_arm"
    groups: ClassVar[dict[str, list[str]]] = {
        "shoulder": ["shoulder_pitch", "shoulder_yaw", "shoulder_roll"],
        "elbow": ["elbow_flex"],
        "wrist": ["wrist_roll", "wrist_yaw", "wrist_pitch"],
    }

    config: HopeJrArmConfig

    def make_bus(self) -> FeetechMotorsBus:
        """Feetech bus: SM8512BL at id 1, STS3250 at ids 2-7."""
        motors = {
            name: Motor(
                id=i + 1,
                model="sm8512bl" if i == 0 else "sts3250",
                norm_mode=MotorNormMode.RANGE_M100_100,
            )
            for i, name in enumerate(HOPE_JR_ARM_JOINTS)
        }
        return FeetechMotorsBus(self.config.port, motors, self.calibration)

    def run_calibration(self) -> Calibration:
        """Ranges recorded group by group, offsets kept (module docstring)."""
        return record_by_groups(self, self.groups, {})

    def configure(self) -> None:
        """LeRobot's settings with gentle acceleration (30) for the heavy arm."""
        with self.bus.torque_disabled():
            self.bus.configure_motors(maximum_acceleration=30, acceleration=30)


class HopeJrHand(MotorArm):
    """The HopeJR hand (see the module docstring)."""

    config_class: ClassVar[type[HopeJrHandConfig]] = HopeJrHandConfig
    name: ClassVar[str] = "hope_jr_hand"

    config: HopeJrHandConfig

    def make_bus(self) -> FeetechMotorsBus:
        """Feetech protocol-1 bus of the sixteen SCS0009, ids 1-16."""
        motors = {
            name: Motor(id=i + 1, model="scs0009", norm_mode=MotorNormMode.RANGE_0_100)
            for i, name in enumerate(HOPE_JR_HAND_JOINTS)
        }
        return FeetechMotorsBus(self.config.port, motors, self.calibration, protocol_version=1)

    @property
    def inverted_motors(self) -> tuple[str, ...]:
        """Motors whose direction is inverted (``drive_mode`` 1) on this side."""
        return RIGHT_HAND_INVERSIONS if self.config.side == "right" else LEFT_HAND_INVERSIONS

    def run_calibration(self) -> Calibration:
        """Ranges recorded finger by finger; the side's inverted motors get drive mode 1."""
        groups = {
            finger: [m for m in self.bus.motors if m.startswith(finger)]
            for finger in ("thumb", "index", "middle", "ring", "pinky")
        }
        return record_by_groups(self, groups, dict.fromkeys(self.inverted_motors, 1))

    def configure(self) -> None:
        """LeRobot's settings (no return delay, acceleration), torque on after."""
        with self.bus.torque_disabled():
            self.bus.configure_motors()
