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

ROBOTS = tuple(sorted({robot for robot, _ in _PRESETS}))
SIDES = ("follower", "leader")


def robot_motors(robot: str, side: str = "follower") -> RobotMotors:
    """The motors of ``robot`` (``so100``, ``so101``, ``koch``) on ``side`` (follower/leader)."""
    try:
        return _PRESETS[(robot, side)]
    except KeyError:
        raise MotorConfigError(
            f"unknown robot/side {robot!r}/{side!r}; known robots: {', '.join(ROBOTS)}; "
            f"sides: {', '.join(SIDES)}"
        ) from None
