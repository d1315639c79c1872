from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lr_core.errors import CalibrationError
from lr_core.motors import MotorCalibration, MotorNormMode
from lr_motors.normalization import goal_limits, normalize, unnormalize

RES = 4096


@st.composite
def calibrations(draw):
    lo = draw(st.integers(0, RES - 2))
    hi = draw(st.integers(lo + 1, RES - 1))
    return MotorCalibration(id=1, drive_mode=draw(st.integers(0, 1)), homing_offset=0,
                            range_min=lo, range_max=hi)  # fmt: skip


@given(calibrations(), st.sampled_from(list(MotorNormMode)), st.booleans(), st.data())
def test_raw_round_trip_within_one_tick(cal, mode, invert, data):
    raw = data.draw(st.integers(cal.range_min, cal.range_max))
    value = normalize(raw, mode, cal, RES, invert=invert)
    back = unnormalize(value, mode, cal, RES, invert=invert)
    assert abs(back - raw) <= 1


@given(calibrations(), st.sampled_from(list(MotorNormMode)), st.booleans(), st.data())
def test_value_round_trip_within_one_tick(cal, mode, invert, data):
    bounds = {
        MotorNormMode.RANGE_M100_100: (-100.0, 100.0),
        MotorNormMode.RANGE_0_100: (0.0, 100.0),
        MotorNormMode.DEGREES: goal_limits(mode, cal, RES, invert=invert),
    }[mode]
    value = data.draw(st.floats(*bounds, allow_nan=False))
    raw = unnormalize(value, mode, cal, RES, invert=invert)
    if mode is MotorNormMode.DEGREES:
        tick = 360 / (RES - 1)
    else:
        tick = (200 if mode is MotorNormMode.RANGE_M100_100 else 100) / (
            cal.range_max - cal.range_min
        )
    assert abs(normalize(raw, mode, cal, RES, invert=invert) - value) <= tick * 1.000001


def test_lerobot_formulas_on_known_values():
    cal = MotorCalibration(id=1, drive_mode=0, homing_offset=0, range_min=1000, range_max=3000)
    assert normalize(2000, MotorNormMode.RANGE_M100_100, cal, RES) == 0.0
    assert normalize(500, MotorNormMode.RANGE_M100_100, cal, RES) == -100.0  # clamped
    assert normalize(1500, MotorNormMode.RANGE_0_100, cal, RES) == 25.0
    assert normalize(1500, MotorNormMode.RANGE_0_100, cal, RES, invert=True) == 75.0
    assert normalize(2000 + 4095, MotorNormMode.DEGREES, cal, RES) == 360.0  # not clamped
    assert unnormalize(-20.0, MotorNormMode.DEGREES, cal, RES) == int(-20 * 4095 / 360 + 2000)
    assert unnormalize(-90.0, MotorNormMode.DEGREES, cal, RES) == 1000  # goals stay in range
    assert unnormalize(150.0, MotorNormMode.RANGE_0_100, cal, RES) == 3000


def test_equal_min_max_is_a_calibration_error():
    cal = MotorCalibration(id=1, drive_mode=0, homing_offset=0, range_min=7, range_max=7)
    with pytest.raises(CalibrationError, match="gripper"):
        normalize(7, MotorNormMode.RANGE_0_100, cal, RES, motor="gripper")


SEAM_CAL = MotorCalibration(id=1, drive_mode=0, homing_offset=0, range_min=100, range_max=4000)


@pytest.mark.parametrize(
    ("raw", "end"),
    [(4001, 4000), (4095, 4000), (0, 4000), (1, 4000), (2, 100), (20, 100), (99, 100)],
)
def test_wrapped_readings_clamp_to_the_end_nearest_on_the_circle(raw, end):
    for mode in (MotorNormMode.RANGE_M100_100, MotorNormMode.RANGE_0_100):
        value = normalize(raw, mode, SEAM_CAL, RES, wrap=True)
        assert value == normalize(end, mode, SEAM_CAL, RES)


def test_wrapped_reading_past_the_seam_is_not_the_opposite_end():
    cal = MotorCalibration(id=1, drive_mode=0, homing_offset=0, range_min=100, range_max=4080)
    # pushed 32 ticks past range_max, across 4095 -> 0: still at the top of the range
    assert normalize(16, MotorNormMode.RANGE_0_100, cal, RES, wrap=True) == 100.0
    assert normalize(16, MotorNormMode.RANGE_0_100, cal, RES) == 0.0  # linear (LeRobot)


def test_wrapped_degrees_follow_the_shortest_arc():
    cal = MotorCalibration(id=1, drive_mode=0, homing_offset=0, range_min=3000, range_max=4000)
    tick = 360 / (RES - 1)
    # mid 3500: raw 0 is 596 ticks above it through the seam, not 3500 below
    assert normalize(0, MotorNormMode.DEGREES, cal, RES, wrap=True) == pytest.approx(596 * tick)
    assert normalize(3400, MotorNormMode.DEGREES, cal, RES, wrap=True) == pytest.approx(-100 * tick)
    for raw in range(RES):  # every reading lies within half a turn of the middle
        degrees = normalize(raw, MotorNormMode.DEGREES, cal, RES, wrap=True)
        assert -180.05 <= degrees <= 180.05


@given(calibrations(), st.sampled_from(list(MotorNormMode)), st.booleans(), st.floats(-1e4, 1e4))
def test_goals_never_leave_the_calibrated_range(cal, mode, invert, value):
    raw = unnormalize(value, mode, cal, RES, invert=invert)
    assert cal.range_min <= raw <= cal.range_max
    lo, hi = goal_limits(mode, cal, RES, invert=invert)
    assert lo <= normalize(raw, mode, cal, RES, invert=invert) <= hi
