from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from lr_core.errors import CalibrationError
from lr_core.motors import MotorCalibration, MotorNormMode
from lr_motors.normalization import normalize, unnormalize

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
        MotorNormMode.DEGREES: (-170.0, 170.0),
    }[mode]
    value = data.draw(st.floats(*bounds, allow_nan=False))
    raw = unnormalize(value, mode, cal, RES, invert=invert)
    if mode is MotorNormMode.DEGREES:
        tick = 360 / (RES - 1)
    else:
        tick = (200 if mode is MotorNormMode.RANGE_M100_100 else 100) / (
            cal.range_max - cal.range_min
        )
    assume(mode is not MotorNormMode.DEGREES or 0 <= raw < RES)
    assert abs(normalize(raw, mode, cal, RES, invert=invert) - value) <= tick * 1.000001


def test_lerobot_formulas_on_known_values():
    cal = MotorCalibration(id=1, drive_mode=0, homing_offset=0, range_min=1000, range_max=3000)
    assert normalize(2000, MotorNormMode.RANGE_M100_100, cal, RES) == 0.0
    assert normalize(500, MotorNormMode.RANGE_M100_100, cal, RES) == -100.0  # clamped
    assert normalize(1500, MotorNormMode.RANGE_0_100, cal, RES) == 25.0
    assert normalize(1500, MotorNormMode.RANGE_0_100, cal, RES, invert=True) == 75.0
    assert normalize(2000 + 4095, MotorNormMode.DEGREES, cal, RES) == 360.0  # not clamped
    assert unnormalize(-90.0, MotorNormMode.DEGREES, cal, RES) == int(-90 * 4095 / 360 + 2000)
    assert unnormalize(150.0, MotorNormMode.RANGE_0_100, cal, RES) == 3000


def test_equal_min_max_is_a_calibration_error():
    cal = MotorCalibration(id=1, drive_mode=0, homing_offset=0, range_min=7, range_max=7)
    with pytest.raises(CalibrationError, match="gripper"):
        normalize(7, MotorNormMode.RANGE_0_100, cal, RES, motor="gripper")
