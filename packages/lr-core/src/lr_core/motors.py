"""Motor descriptions and calibration records shared by buses, robots and tools.

The calibration file format is LeRobot's, byte for byte in meaning: one JSON object per robot
(indent 4) mapping motor names to ``{"id", "drive_mode", "homing_offset", "range_min",
"range_max"}``. A file written by LeRobot loads here and vice versa.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from lr_core.errors import CalibrationError
from lr_core.fileio import atomic_write_text


class MotorNormMode(StrEnum):
    """How raw encoder ticks map to the values robots and datasets use.

    - ``RANGE_M100_100``: the calibrated range maps to −100..100.
    - ``RANGE_0_100``: the calibrated range maps to 0..100 (grippers).
    - ``DEGREES``: degrees from the middle of the calibrated range.
    """

    RANGE_0_100 = "range_0_100"
    RANGE_M100_100 = "range_m100_100"
    DEGREES = "degrees"


class Motor(BaseModel):
    """One servo on a bus: its bus ``id``, its ``model`` name (``"sts3215"``) and norm mode."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: int = Field(ge=0, le=252)
    model: str
    norm_mode: MotorNormMode


class MotorCalibration(BaseModel):
    """Calibration of one motor, in raw encoder ticks.

    ``homing_offset`` is written to the servo so that the middle of its travel reads half a turn;
    ``range_min``/``range_max`` bound the travel recorded during calibration; ``drive_mode`` 1
    inverts the direction.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: int = Field(ge=0, le=252)
    drive_mode: int = Field(ge=0, le=1)
    homing_offset: int
    range_min: int
    range_max: int

    @model_validator(mode="after")
    def _check_range(self) -> MotorCalibration:
        if self.range_min > self.range_max:
            raise ValueError(
                f"range_min ({self.range_min}) is larger than range_max ({self.range_max})"
            )
        return self


Calibration = dict[str, MotorCalibration]


def load_calibration(path: str | Path) -> Calibration:
    """Read a calibration file; errors name the file and the motor entry that is wrong."""
    path = Path(path)
    try:
        raw = json.loads(path.read_text())
    except FileNotFoundError as exc:
        raise CalibrationError(f"calibration file {path} does not exist; calibrate first") from exc
    except json.JSONDecodeError as exc:
        raise CalibrationError(f"calibration file {path} is not valid JSON: {exc}") from exc
    if not isinstance(raw, dict):
        raise CalibrationError(
            f"calibration file {path} must hold an object of motor name -> calibration"
        )
    out: Calibration = {}
    for name, entry in raw.items():
        try:
            out[name] = MotorCalibration.model_validate(entry)
        except ValidationError as exc:
            raise CalibrationError(
                f"calibration file {path}: motor {name!r} is invalid: "
                + "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            ) from exc
    return out


def save_calibration(path: str | Path, calibration: Mapping[str, MotorCalibration]) -> None:
    """Write a calibration file atomically (a crash never leaves half a file), byte for byte
    as LeRobot writes it (``draccus.dump(..., indent=4)``: no newline at the end)."""
    data = {name: cal.model_dump() for name, cal in calibration.items()}
    atomic_write_text(Path(path), json.dumps(data, indent=4))
