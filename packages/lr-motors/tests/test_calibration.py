"""Calibration steps through the emulator: homing, ranges, registers and LeRobot JSON files."""

from __future__ import annotations

import json

import pytest

from lr_core.errors import CalibrationError
from lr_core.motors import load_calibration, save_calibration
from lr_motors.calibration import calibrate
from lr_motors.feetech.bus import FeetechMotorsBus
from lr_motors.presets import robot_motors

MOTORS = robot_motors("so101").motors


@pytest.fixture
def bus(so101):
    bus = FeetechMotorsBus(so101.port, MOTORS)
    bus.connect()
    yield bus
    bus.disconnect()


def test_half_turn_homing_makes_the_present_position_read_2047(bus, so101):
    so101.move("elbow_flex", 3000)
    bus.disable_torque()
    offsets = bus.set_half_turn_homings()
    assert offsets["elbow_flex"] == 3000 - 2047
    assert offsets["gripper"] == 2048 - 2047
    assert bus.sync_read("Present_Position", normalize=False) == dict.fromkeys(MOTORS, 2047)


def test_record_ranges_until_stop(bus, so101):
    path = {"gripper": [2047, 1500, 2900, 2100], "elbow_flex": [2047, 1000, 3100, 2000]}
    step = iter(range(4))
    seen = []

    def stop() -> bool:
        i = next(step, None)
        if i is None:
            return True
        for name, positions in path.items():
            so101.move(name, positions[i])
        return False

    mins, maxes = bus.record_ranges_of_motion(
        ["gripper", "elbow_flex"],
        stop=stop,
        on_update=lambda lo, pos, hi: seen.append(pos),
        poll_s=0,
    )
    assert mins == {"gripper": 1500, "elbow_flex": 1000}
    assert maxes == {"gripper": 2900, "elbow_flex": 3100}
    assert len(seen) == 5


def test_record_ranges_refuses_a_joint_that_never_moved(bus):
    with pytest.raises(CalibrationError, match="wrist_roll"):
        bus.record_ranges_of_motion(["wrist_roll"], stop=lambda: True, on_update=None)


def test_full_calibration_writes_registers_and_a_lerobot_file(bus, so101, tmp_path):
    moves = iter([{"shoulder_pan": 1200}, {"shoulder_pan": 2900, "gripper": 3300}, None])

    def stop() -> bool:
        step = next(moves)
        if step is None:
            return True
        for name, pos in step.items():
            so101.move(name, pos)
        for name in MOTORS:
            if name not in step and name != "wrist_roll":
                so101.move(name, 1800 if len(step) == 1 else 2300)
        return False

    prompts = []
    cal = calibrate(bus, full_turn_motors=["wrist_roll"], prompt=prompts.append, stop=stop,
                    on_update=None)  # fmt: skip
    assert len(prompts) == 2
    assert cal["wrist_roll"].range_min == 0 and cal["wrist_roll"].range_max == 4095
    assert cal["shoulder_pan"].range_min == 1200 and cal["shoulder_pan"].range_max == 2900
    assert cal["gripper"].range_max == 3300
    assert bus.read_calibration() == cal
    assert bus.is_calibrated
    path = tmp_path / "so101.json"
    save_calibration(path, cal)
    data = json.loads(path.read_text())
    assert list(data["shoulder_pan"]) == [
        "id",
        "drive_mode",
        "homing_offset",
        "range_min",
        "range_max",
    ]
    assert load_calibration(path) == cal
    # a fresh bus given the file sees its calibration in the motors
    other = FeetechMotorsBus(so101.port, MOTORS, load_calibration(path))
    bus.disconnect()
    other.connect()
    assert other.is_calibrated
    assert other.read("Present_Position", "gripper") == 100.0
    lo, hi = cal["elbow_flex"].range_min, cal["elbow_flex"].range_max
    assert other.read("Present_Position", "elbow_flex") == pytest.approx(
        (2300 - (lo + hi) / 2) * 360 / 4095
    )
    other.disconnect(disable_torque=False)
    bus.connect()


def test_enter_pressed_reads_a_waiting_line(monkeypatch):
    import os
    import sys

    from lr_motors.calibration import enter_pressed

    read_fd, write_fd = os.pipe()
    with os.fdopen(read_fd) as stdin:
        monkeypatch.setattr(sys, "stdin", stdin)
        assert not enter_pressed()
        os.write(write_fd, b"\n")
        assert enter_pressed()
        assert not enter_pressed()  # the line was consumed
    os.close(write_fd)
