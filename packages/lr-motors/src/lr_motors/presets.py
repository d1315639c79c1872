"""The motors of the arms lr knows, as LeRobot declares them (ids, models, norm modes).

Used by ``lr setup-motors`` and ``lr motors emulate``; lr-robots builds its robots on them.
"""

from __future__ import annotations

from dataclasses import dataclass

from lr_core.motors import Motor, MotorNormMode
from lr_motors.errors import MotorConfigError

JOINTS = ("shoulder_pan", "shoulder_lift", "elbow_flex", "wrist_flex", "wrist_roll", "gripper")


@dataclass(frozen=True)
class RobotMotors:
    """The bus of one arm: its ``vendor`` (``"feetech"``/``"dynamixel"``) and motors by name."""

    vendor: str
    motors: dict[str, Motor]
    #: the order ``lr setup-motors`` asks for the motors in (default: the bus order reversed)
    setup_order: tuple[str, ...] | None = None

    def motors_to_set_up(self) -> list[str]:
        """Motor names in the order ``lr setup-motors`` sets them up."""
        return list(self.setup_order or reversed(list(self.motors)))


def _arm(models: list[str], body: MotorNormMode) -> dict[str, Motor]:
    return {
        name: Motor(
            id=i + 1,
            model=model,
            norm_mode=MotorNormMode.RANGE_0_100 if name == "gripper" else body,
        )
        for i, (name, model) in enumerate(zip(JOINTS, models, strict=True))
    }


_PRESETS: dict[tuple[str, str], RobotMotors] = {}
for _robot in ("so100", "so101"):
    # SO-100/101 follower and leader: six STS3215, body joints in degrees (LeRobot's default
    # use_degrees=True), gripper 0..100.
    for _side in ("follower", "leader"):
        _PRESETS[(_robot, _side)] = RobotMotors(
            "feetech", _arm(["sts3215"] * 6, MotorNormMode.DEGREES)
        )
_PRESETS[("koch", "follower")] = RobotMotors(
    "dynamixel", _arm(["xl430-w250"] * 2 + ["xl330-m288"] * 4, MotorNormMode.RANGE_M100_100)
)
_PRESETS[("koch", "leader")] = RobotMotors(
    "dynamixel", _arm(["xl330-m077"] * 6, MotorNormMode.RANGE_M100_100)
)

# ROBOTIS OMX (follower and leader): ids 11-16 as LeRobot declares them
_PRESETS[("omx", "follower")] = RobotMotors(
    "dynamixel",
    {
        name: Motor(
            id=11 + i,
            model=model,
            norm_mode=MotorNormMode.RANGE_0_100
            if name == "gripper"
            else MotorNormMode.RANGE_M100_100,
        )
        for i, (name, model) in enumerate(
            zip(JOINTS, ["xl430-w250"] * 3 + ["xl330-m288"] * 3, strict=True)
        )
    },
)
_PRESETS[("omx", "leader")] = RobotMotors(
    "dynamixel",
    {
        name: Motor(
            id=1 + i,
            model=model,
            norm_mode=MotorNormMode.RANGE_0_100
            if name == "gripper"
            else MotorNormMode.RANGE_M100_100,
        )
        for i, (name, model) in enumerate(
            zip(JOINTS, ["xl330-m288"] * 5 + ["xl330-m077"], strict=True)
        )
    },
)
# HopeJR arm: one SM8512BL at the shoulder and six STS3250
HOPE_JR_ARM_JOINTS = ("shoulder_pitch", "shoulder_yaw", "shoulder_roll", "elbow_flex",
                      "wrist_roll", "wrist_yaw", "wrist_pitch")  # fmt: skip
_PRESETS[("hope_jr_arm", "follower")] = RobotMotors(
    "feetech",
    {
        name: Motor(
            id=i + 1,
            model="sm8512bl" if i == 0 else "sts3250",
            norm_mode=MotorNormMode.RANGE_M100_100,
        )
        for i, name in enumerate(HOPE_JR_ARM_JOINTS)
    },
)
# HopeJR hand: sixteen SCS0009 (Feetech protocol 1) pulling the finger tendons
HOPE_JR_HAND_JOINTS = (
    "thumb_cmc", "thumb_mcp", "thumb_pip", "thumb_dip",
    "index_radial_flexor", "index_ulnar_flexor", "index_pip_dip",
    "middle_radial_flexor", "middle_ulnar_flexor", "middle_pip_dip",
    "ring_radial_flexor", "ring_ulnar_flexor", "ring_pip_dip",
    "pinky_radial_flexor", "pinky_ulnar_flexor", "pinky_pip_dip",
)  # fmt: skip
_PRESETS[("hope_jr_hand", "follower")] = RobotMotors(
    "feetech",
    {
        name: Motor(id=i + 1, model="scs0009", norm_mode=MotorNormMode.RANGE_0_100)
        for i, name in enumerate(HOPE_JR_HAND_JOINTS)
    },
)

# LeKiwi: an SO arm (motor names prefixed ``arm_``, ids 1-6) and three omni wheels (ids 7-9,
# driven in velocity mode) on one Feetech bus, as LeRobot's ``lekiwi`` declares them
LEKIWI_WHEELS = ("base_left_wheel", "base_back_wheel", "base_right_wheel")
_PRESETS[("lekiwi", "follower")] = RobotMotors(
    "feetech",
    {
        **{
            f"arm_{name}": motor
            for name, motor in _arm(["sts3215"] * 6, MotorNormMode.DEGREES).items()
        },
        **{
            name: Motor(id=7 + i, model="sts3215", norm_mode=MotorNormMode.RANGE_M100_100)
            for i, name in enumerate(LEKIWI_WHEELS)
        },
    },
    # LeRobot's LeKiwi.setup_motors order: the arm from the gripper down, then the wheels
    setup_order=(
        *(f"arm_{name}" for name in reversed(JOINTS)),
        *reversed(LEKIWI_WHEELS),
    ),
)

ROBOTS = tuple(sorted({robot for robot, _ in _PRESETS}))
SIDES = ("follower", "leader")


def robot_motors(robot: str, side: str = "follower") -> RobotMotors:
    """The motors of ``robot`` (``so100``, ``so101``, ``koch``, ``omx``, ``hope_jr_arm``,
    ``hope_jr_hand``, ``lekiwi``) on ``side`` (follower/leader; the HopeJR parts and LeKiwi
    have only ``follower``)."""
    try:
        return _PRESETS[(robot, side)]
    except KeyError:
        raise MotorConfigError(
            f"unknown robot/side {robot!r}/{side!r}; known robots: {', '.join(ROBOTS)}; "
            f"sides: {', '.join(SIDES)}"
        ) from None
