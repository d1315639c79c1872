from __future__ import annotations

import pytest

from lr_core.motors import MotorNormMode
from lr_motors.errors import MotorConfigError
from lr_motors.presets import JOINTS, robot_motors


def test_arms_match_lerobot():
    so = robot_motors("so101", "follower")
    assert so.vendor == "feetech"
    assert [(n, m.id, m.model) for n, m in so.motors.items()] == [
        (n, i + 1, "sts3215") for i, n in enumerate(JOINTS)
    ]
    assert so.motors["gripper"].norm_mode is MotorNormMode.RANGE_0_100
    assert so.motors["elbow_flex"].norm_mode is MotorNormMode.DEGREES
    koch = robot_motors("koch", "follower").motors
    assert [m.model for m in koch.values()] == ["xl430-w250"] * 2 + ["xl330-m288"] * 4
    assert koch["wrist_roll"].norm_mode is MotorNormMode.RANGE_M100_100
    assert {m.model for m in robot_motors("koch", "leader").motors.values()} == {"xl330-m077"}


def test_unknown_robot_names_the_known_ones():
    with pytest.raises(MotorConfigError, match="known robots: koch, so100, so101"):
        robot_motors("so102")
