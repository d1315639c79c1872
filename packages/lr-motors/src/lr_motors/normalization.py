"""Raw encoder ticks ↔ normalised values, with LeRobot's exact formulas.

With ``lo``/``hi`` the calibrated ``range_min``/``range_max`` and ``res`` the encoder
resolution (4096 ticks per turn):

- ``RANGE_M100_100``: ``(clamp(v) - lo) / (hi - lo) * 200 - 100``, negated when the drive mode
  is inverted and the vendor applies it in software (Feetech);
- ``RANGE_0_100``: ``(clamp(v) - lo) / (hi - lo) * 100`` (``100 - x`` when inverted);
- ``DEGREES``: ``(v - (lo + hi) / 2) * 360 / (res - 1)`` (not clamped).

The inverse clamps to the mode's range and truncates to an int (``int()``), so a round trip
lands within one tick.
"""

from __future__ import annotations

from lr_core.errors import CalibrationError
from lr_core.motors import MotorCalibration, MotorNormMode


def normalize(
    raw: int,
    mode: MotorNormMode,
    calibration: MotorCalibration,
    resolution: int,
    *,
    invert: bool = False,
    motor: str = "",
) -> float:
    """Raw ticks → value in ``mode``'s units. ``invert`` applies ``drive_mode`` in software."""
    lo, hi = calibration.range_min, calibration.range_max
    if hi == lo:
        raise CalibrationError(f"motor {motor!r}: range_min equals range_max ({lo}); recalibrate")
    if mode is MotorNormMode.RANGE_M100_100:
        bounded = min(hi, max(lo, raw))
        norm = ((bounded - lo) / (hi - lo)) * 200 - 100
        return -norm if invert else norm
    if mode is MotorNormMode.RANGE_0_100:
        bounded = min(hi, max(lo, raw))
        norm = ((bounded - lo) / (hi - lo)) * 100
        return 100 - norm if invert else norm
    mid = (lo + hi) / 2
    return (raw - mid) * 360 / (resolution - 1)


def unnormalize(
    value: float,
    mode: MotorNormMode,
    calibration: MotorCalibration,
    resolution: int,
    *,
    invert: bool = False,
    motor: str = "",
) -> int:
    """Inverse of :func:`normalize` (clamped to the calibrated range for the RANGE modes)."""
    lo, hi = calibration.range_min, calibration.range_max
    if hi == lo:
        raise CalibrationError(f"motor {motor!r}: range_min equals range_max ({lo}); recalibrate")
    if mode is MotorNormMode.RANGE_M100_100:
        value = -value if invert else value
        bounded = min(100.0, max(-100.0, value))
        return int(((bounded + 100) / 200) * (hi - lo) + lo)
    if mode is MotorNormMode.RANGE_0_100:
        value = 100 - value if invert else value
        bounded = min(100.0, max(0.0, value))
        return int((bounded / 100) * (hi - lo) + lo)
    mid = (lo + hi) / 2
    return int((value * (resolution - 1) / 360) + mid)
