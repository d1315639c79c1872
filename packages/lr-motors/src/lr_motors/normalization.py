"""Raw encoder ticks ↔ normalised values, with LeRobot's formulas.

With ``lo``/``hi`` the calibrated ``range_min``/``range_max`` and ``res`` the encoder
resolution (4096 ticks per turn):

- ``RANGE_M100_100``: ``(clamp(v) - lo) / (hi - lo) * 200 - 100``, negated when the drive mode
  is inverted and the vendor applies it in software (Feetech);
- ``RANGE_0_100``: ``(clamp(v) - lo) / (hi - lo) * 100`` (``100 - x`` when inverted);
- ``DEGREES``: ``(v - (lo + hi) / 2) * 360 / (res - 1)``.

Inside the calibrated range these are LeRobot's numbers exactly. Outside it, positions that
wrap at the resolution (``wrap=True``: Feetech, whose ``Present_Position`` runs 0..4095 and
then starts again) are treated as angles, not linear numbers: a reading past the range clamps
to the end it is nearest *on the circle* (a joint pushed 20 ticks past ``hi`` across the seam
reads ``hi``, not ``lo``), and degrees are measured along the shortest arc from the middle of
the range. LeRobot clamps linearly and reports the opposite end.

The inverse clamps to the calibrated range in every mode (a goal never leaves it) and
truncates to an int (``int()``), so a round trip lands within one tick.
"""

from __future__ import annotations

from lr_core.errors import CalibrationError
from lr_core.motors import MotorCalibration, MotorNormMode


def _bounded(raw: int, lo: int, hi: int, resolution: int, wrap: bool) -> int:
    """``raw`` clamped to ``lo..hi``; with ``wrap``, to the end nearest on the circle."""
    if lo <= raw <= hi:
        return raw
    if not wrap:
        return min(hi, max(lo, raw))
    below_lo = (lo - raw) % resolution  # ticks from raw up to lo
    above_hi = (raw - hi) % resolution  # ticks from hi up to raw
    return lo if below_lo <= above_hi else hi


def _check(calibration: MotorCalibration, motor: str) -> tuple[int, int]:
    lo, hi = calibration.range_min, calibration.range_max
    if hi == lo:
        raise CalibrationError(f"motor {motor!r}: range_min equals range_max ({lo}); recalibrate")
    return lo, hi


def normalize(
    raw: int,
    mode: MotorNormMode,
    calibration: MotorCalibration,
    resolution: int,
    *,
    invert: bool = False,
    motor: str = "",
    wrap: bool = False,
) -> float:
    """Raw ticks → value in ``mode``'s units. ``invert`` applies ``drive_mode`` in software;
    ``wrap`` says the reading wraps at ``resolution`` (see the module docstring)."""
    lo, hi = _check(calibration, motor)
    if mode is MotorNormMode.RANGE_M100_100:
        bounded = _bounded(raw, lo, hi, resolution, wrap)
        norm = ((bounded - lo) / (hi - lo)) * 200 - 100
        return -norm if invert else norm
    if mode is MotorNormMode.RANGE_0_100:
        bounded = _bounded(raw, lo, hi, resolution, wrap)
        norm = ((bounded - lo) / (hi - lo)) * 100
        return 100 - norm if invert else norm
    mid = (lo + hi) / 2
    delta = raw - mid
    if wrap:
        delta = (delta + resolution / 2) % resolution - resolution / 2
    return delta * 360 / (resolution - 1)


def unnormalize(
    value: float,
    mode: MotorNormMode,
    calibration: MotorCalibration,
    resolution: int,
    *,
    invert: bool = False,
    motor: str = "",
) -> int:
    """Inverse of :func:`normalize`, clamped to the calibrated range (raw ticks)."""
    lo, hi = _check(calibration, motor)
    if mode is MotorNormMode.RANGE_M100_100:
        value = -value if invert else value
        bounded = min(100.0, max(-100.0, value))
        return int(((bounded + 100) / 200) * (hi - lo) + lo)
    if mode is MotorNormMode.RANGE_0_100:
        value = 100 - value if invert else value
        bounded = min(100.0, max(0.0, value))
        return int((bounded / 100) * (hi - lo) + lo)
    mid = (lo + hi) / 2
    return min(hi, max(lo, int((value * (resolution - 1) / 360) + mid)))


def goal_limits(
    mode: MotorNormMode, calibration: MotorCalibration, resolution: int, *, invert: bool = False
) -> tuple[float, float]:
    """``(lowest, highest)`` normalised goal a motor accepts: its calibrated range in
    ``mode``'s units (what :func:`unnormalize` clamps to)."""
    a = normalize(calibration.range_min, mode, calibration, resolution, invert=invert)
    b = normalize(calibration.range_max, mode, calibration, resolution, invert=invert)
    return (a, b) if a <= b else (b, a)
