import numpy as np
import pytest

from lr_sim.so101.joints import (
    JOINTS,
    STATE_NAMES,
    normalized_bounds,
    normalized_to_radians,
    radians_to_normalized,
)


def test_names_match_the_real_follower():
    assert STATE_NAMES == [
        "shoulder_pan.pos",
        "shoulder_lift.pos",
        "elbow_flex.pos",
        "wrist_flex.pos",
        "wrist_roll.pos",
        "gripper.pos",
    ]


def test_range_ends_map_to_minus_100_100_and_gripper_to_0_100():
    lower = np.array([j.norm_lower for j in JOINTS])
    upper = np.array([j.norm_upper for j in JOINTS])
    np.testing.assert_allclose(radians_to_normalized(lower), [-100] * 5 + [0], atol=1e-4)
    np.testing.assert_allclose(radians_to_normalized(upper), [100] * 5 + [100], atol=1e-4)
    middle = (lower + upper) / 2
    np.testing.assert_allclose(radians_to_normalized(middle), [0] * 5 + [50], atol=1e-4)


@pytest.mark.parametrize("use_degrees", [False, True])
def test_round_trip_inside_the_joint_travel(use_degrees):
    rng = np.random.default_rng(0)
    lo = np.array([j.lower for j in JOINTS])
    hi = np.array([j.upper for j in JOINTS])
    q = rng.uniform(lo, hi, size=(100, 6))
    values = radians_to_normalized(q, use_degrees)
    assert values.dtype == np.float32
    np.testing.assert_allclose(normalized_to_radians(values, use_degrees), q, atol=1e-5)


def test_commands_are_clipped_to_the_joint_travel():
    q = normalized_to_radians(np.array([1000, -1000, 0, 0, 0, 500.0]))
    assert q[0] == pytest.approx(JOINTS[0].upper)
    assert q[1] == pytest.approx(JOINTS[1].lower)
    assert q[5] == pytest.approx(JOINTS[5].upper)


def test_degrees_mode_reports_degrees_from_the_middle():
    q = np.array([np.radians(30), 0, 0, 0, 0, JOINTS[5].lower])
    np.testing.assert_allclose(
        radians_to_normalized(q, use_degrees=True), [30, 0, 0, 0, 0, 0], atol=1e-4
    )
    lo, hi = normalized_bounds(use_degrees=True)
    assert lo[0] == pytest.approx(-110, abs=0.01) and hi[0] == pytest.approx(110, abs=0.01)
    assert (lo[5], hi[5]) == (0, 100)
