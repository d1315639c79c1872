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
    # hand-moved joints read every 20 ms move far less than half a turn between two reads
    path = {
        "gripper": [2047, 1500, 2200, 2900, 2100],
        "elbow_flex": [2047, 1000, 2000, 3100, 2000],
    }
    step = iter(range(5))
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
    assert len(seen) == 6


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
    cal = calibrate(bus, full_turn_motors=["wrist_roll"], prompt=prompts.append,
                    say=prompts.append, stop=stop, on_update=None)  # fmt: skip
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


def test_calibrate_without_a_terminal_is_a_clear_error_and_writes_no_homing(
    bus, so101, monkeypatch
):
    # a script calling calibrate() from a service or a pipe: stdin is closed
    import io

    from lr_core.errors import NoTerminalError

    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    so101.move("elbow_flex", 3000)
    with pytest.raises(
        NoTerminalError,
        match=r"calibration waits for an answer .*middle of its"
        r" range.*standard input is closed",
    ):
        calibrate(bus, device="the arm")
    # nothing written: the homing offsets are still the factory's
    assert bus.sync_read("Present_Position", normalize=False)["elbow_flex"] == 3000


def _sweep(emu, motor: str, path: list[int], others: dict[str, int] | None = None):
    """A ``stop`` callback that moves ``motor`` along ``path`` (one position per poll)."""
    step = iter(range(len(path) + 1))

    def stop() -> bool:
        i = next(step)
        if i == len(path):
            return True
        emu.move(motor, path[i])
        for k, (name, base) in enumerate((others or {}).items()):
            emu.move(name, base + 10 * i + k)
        return False

    return stop


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ([3900, 4000, 4095, 0, 50, 100], (3900, 4196)),  # up across 4095 -> 0
        ([200, 100, 0, 4095, 4000, 3900], (-196, 200)),  # down across 0 -> 4095
    ],
)
def test_recording_unwraps_across_the_seam_in_both_directions(bus, so101, path, expected):
    from lr_motors.calibration import record_ranges

    so101.move("shoulder_lift", path[0])
    mins, maxes = record_ranges(
        bus, ["shoulder_lift"], _sweep(so101, "shoulder_lift", path), poll_s=0
    )
    assert (mins["shoulder_lift"], maxes["shoulder_lift"]) == expected
    # LeRobot's method cannot return such a range as register values: it names the joint
    so101.move("shoulder_lift", path[0])
    with pytest.raises(CalibrationError, match=r"seam: shoulder_lift \(-?\d+\.\.\d+\)"):
        bus.record_ranges_of_motion(
            ["shoulder_lift"], stop=_sweep(so101, "shoulder_lift", path), poll_s=0
        )


def test_a_joint_turning_a_full_turn_is_named(bus, so101):
    from lr_motors.calibration import record_ranges

    path = [0, 1000, 2000, 3000, 4000, 900, 1800]  # more than 4096 ticks, always upward
    so101.move("elbow_flex", path[0])
    with pytest.raises(CalibrationError, match="elbow_flex; a joint that turns freely"):
        record_ranges(bus, ["elbow_flex"], _sweep(so101, "elbow_flex", path), poll_s=0)


@pytest.mark.parametrize("direction", ["up", "down"])
def test_calibration_across_the_seam_records_the_real_range(bus, so101, direction):
    """Homed at one end of its travel, the joint crosses the seam: the offset moves to centre
    the real arc, and the arm reads the ends of its travel as the ends of its range."""
    bus.disable_torque()
    others = [n for n in MOTORS if n not in ("shoulder_lift", "wrist_roll")]
    if direction == "up":  # 2047 up across 4095 -> 0 to 1000: 3049 ticks, ends at the top
        path, span = [2047, 3000, 4000, 4095, 500, 1000], 3049
    else:  # 2047 down across 0 -> 4095 to 3000: 3143 ticks, ends at the bottom
        path, span = [2047, 1000, 0, 4095, 3500, 3000], 3143
    moves = iter([None, *path])

    def stop() -> bool:
        pos = next(moves, "done")
        if pos == "done":
            return True
        if pos is not None:
            so101.move("shoulder_lift", pos)
        for k, name in enumerate(others):
            so101.move(name, 1500 if pos is None else 2500 + k)
        return False

    so101.move("shoulder_lift", 2500)  # the rest pose at homing: it will read 2047
    cal = calibrate(bus, full_turn_motors=["wrist_roll"], prompt=lambda _: "", stop=stop,
                    on_update=None)  # fmt: skip
    c = cal["shoulder_lift"]
    assert c.range_max - c.range_min == span
    assert c.range_min >= 0 and c.range_max <= 4095
    assert abs((c.range_min + c.range_max) / 2 - 2047) <= 1
    assert bus.read_calibration() == cal and bus.is_calibrated
    # where the joint is now (the last end it reached) reads as that end of the range
    here = bus.read("Present_Position", "shoulder_lift", normalize=False)
    assert here == (c.range_max if direction == "up" else c.range_min)
    degrees = bus.read("Present_Position", "shoulder_lift")
    assert degrees == pytest.approx((1 if direction == "up" else -1) * span / 2 * 360 / 4095)
    # joints that did not cross the seam keep LeRobot's numbers: their half-turn homing
    assert cal["gripper"].homing_offset == 2048 - 2047
    assert (cal["gripper"].range_min, cal["gripper"].range_max) == (1500, 2503)


def test_f3_sweep_across_the_seam_is_not_recorded_as_a_full_turn(bus, so101):
    """The repro of issue 10 F3 through LeRobot's method name."""
    sweep = [3900, 4000, 4095, 0, 50, 100]
    others = {n: 2000 for n in MOTORS if n != "shoulder_lift"}
    so101.move("shoulder_lift", sweep[0])
    bus.disable_torque()
    with pytest.raises(CalibrationError) as info:
        bus.record_ranges_of_motion(stop=_sweep(so101, "shoulder_lift", sweep, others), poll_s=0)
    assert "shoulder_lift (3900..4196)" in str(info.value)
