"""Motor models and LeRobot-compatible calibration files."""

from __future__ import annotations

import json

import pytest

from lr_core.errors import CalibrationError
from lr_core.motors import (
    Motor,
    MotorCalibration,
    MotorNormMode,
    load_calibration,
    save_calibration,
)

# A calibration file as LeRobot writes it (draccus dump, indent 4).
LEROBOT_FILE = """{
    "shoulder_pan": {
        "id": 1,
        "drive_mode": 0,
        "homing_offset": -1234,
        "range_min": 800,
        "range_max": 3300
    },
    "gripper": {
        "id": 6,
        "drive_mode": 0,
        "homing_offset": 17,
        "range_min": 2000,
        "range_max": 3400
    }
}"""


def test_lerobot_calibration_file_loads_and_saves_identically(tmp_path):
    path = tmp_path / "follower.json"
    path.write_text(LEROBOT_FILE)
    calibration = load_calibration(path)
    assert calibration["shoulder_pan"] == MotorCalibration(
        id=1, drive_mode=0, homing_offset=-1234, range_min=800, range_max=3300
    )
    out = tmp_path / "again.json"
    save_calibration(out, calibration)
    assert json.loads(out.read_text()) == json.loads(LEROBOT_FILE)
    assert out.read_text().strip() == LEROBOT_FILE


def test_save_is_atomic_and_leaves_no_temporary_files(tmp_path):
    path = tmp_path / "arm.json"
    save_calibration(
        path,
        {"a": MotorCalibration(id=1, drive_mode=0, homing_offset=0, range_min=0, range_max=4095)},
    )
    assert [p.name for p in tmp_path.iterdir()] == ["arm.json"]


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "must hold an object"),
        (
            '{"elbow": {"id": 3, "drive_mode": 0, "homing_offset": 0, "range_min": 9, '
            '"range_max": 1}}',
            "motor 'elbow'",
        ),
        ('{"elbow": {"id": 3}}', "motor 'elbow'"),
    ],
)
def test_bad_calibration_files_name_file_and_motor(tmp_path, content, needle):
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(CalibrationError) as err:
        load_calibration(path)
    assert str(path) in str(err.value)
    assert needle in str(err.value)


def test_missing_calibration_file_says_to_calibrate(tmp_path):
    with pytest.raises(CalibrationError, match="calibrate first"):
        load_calibration(tmp_path / "none.json")


def test_motor_norm_modes_use_lerobot_values():
    assert [m.value for m in MotorNormMode] == ["range_0_100", "range_m100_100", "degrees"]
    motor = Motor(id=6, model="sts3215", norm_mode="range_0_100")
    assert motor.norm_mode is MotorNormMode.RANGE_0_100
    with pytest.raises(ValueError):
        Motor(id=300, model="sts3215", norm_mode="degrees")
