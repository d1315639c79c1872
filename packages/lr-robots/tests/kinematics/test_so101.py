"""SO-101 kinematics facts that hold for any correct model (MuJoCo's check is in
tests-integration/test_so101_kinematics.py)."""

from __future__ import annotations

import numpy as np
import pytest

from lr_robots.kinematics import SO101Kinematics


@pytest.fixture(scope="module")
def kin() -> SO101Kinematics:
    return SO101Kinematics()


def test_middle_of_every_range_is_upper_arm_up_forearm_forward(kin):
    pose = kin.forward([0, 0, 0, 0, 0])
    x, y, z = pose[:3, 3]
    assert abs(kin.pitch([0, 0, 0, 0, 0])) < 1e-3  # gripper horizontal
    assert 0.35 < -y < 0.40 and 0.24 < z < 0.28  # ~38 cm out in front (-y), ~26 cm up
    assert abs(x - 0.0204) < 0.01


def test_pan_turns_the_tool_about_the_vertical_pan_axis(kin):
    q = np.array([0, -30, 40, 20, 0.0])
    a = kin.forward(q)[:3, 3]
    b = kin.forward(q + np.array([35, 0, 0, 0, 0]))[:3, 3]
    pan_axis_xy = np.array([0.0207909, -0.0230745])
    assert a[2] == pytest.approx(b[2], abs=1e-5)  # the URDF's pi is 3.14159
    radius = np.linalg.norm(a[:2] - pan_axis_xy)
    assert np.linalg.norm(b[:2] - pan_axis_xy) == pytest.approx(radius, abs=1e-5)


def test_wrist_flex_changes_the_pitch_one_for_one(kin):
    q = np.array([10, -20, 30, 10, 0.0])
    assert np.degrees(kin.pitch(q + np.array([0, 0, 0, 15, 0])) - kin.pitch(q)) == pytest.approx(
        -15, abs=1e-6
    )


def test_small_moves_round_trip_and_keep_pitch(kin):
    q = np.array([5.0, -25.0, 30.0, 55.0, 12.0])
    start = kin.forward(q)[:3, 3]
    for delta in ([0.01, 0, 0], [0, -0.01, 0], [0, 0, 0.01]):
        solution, error = kin.inverse(start + delta, q)
        assert error < 1e-4
        np.testing.assert_allclose(kin.forward(solution)[:3, 3], start + delta, atol=1e-4)
        assert kin.pitch(solution) == pytest.approx(kin.pitch(q), abs=1e-3)
        assert solution[4] == pytest.approx(12.0)


def test_out_of_reach_reports_the_error(kin):
    solution, error = kin.inverse([0.0, -1.0, 0.2], [0, 0, 0, 0, 0])
    assert error > 0.5
    assert np.all(solution <= kin.upper_deg + 1e-9) and np.all(solution >= kin.lower_deg - 1e-9)
