"""DynamixelMotorsBus (dynamixel-sdk) against the pty emulator."""

from __future__ import annotations

import time

import pytest

from lr_core.motors import MotorCalibration
from lr_motors.bus import PTY_REPLY_TIMEOUT_MS
from lr_motors.dynamixel.bus import DynamixelMotorsBus
from lr_motors.emulator import ServoEmulator, ServoSpec
from lr_motors.errors import MotorCommError, MotorsNotFoundError, MotorStatusError
from lr_motors.presets import robot_motors

MOTORS = robot_motors("koch").motors


@pytest.fixture
def bus(koch):
    bus = DynamixelMotorsBus(koch.port, MOTORS)
    bus.connect()
    yield bus
    if bus.is_connected:
        bus.disconnect(disable_torque=False)


def test_connect_and_models(bus):
    assert bus.read("Model_Number", "shoulder_pan", normalize=False) == 1060
    assert bus.read("Model_Number", "gripper", normalize=False) == 1200


def test_missing_motor_is_named(koch):
    koch.detach("wrist_roll")
    bus = DynamixelMotorsBus(koch.port, MOTORS, retries=0)
    with pytest.raises(MotorsNotFoundError, match=r"wrist_roll \(id 5, xl330-m288\): no answer"):
        bus.connect()
    assert not bus.is_connected


def test_twos_complement_registers(bus, koch):
    bus.write("Homing_Offset", "elbow_flex", -1000, normalize=False)
    assert koch.register("elbow_flex", "Homing_Offset") == (1 << 32) - 1000
    assert bus.read("Homing_Offset", "elbow_flex", normalize=False) == -1000
    assert bus.read("Present_Position", "elbow_flex", normalize=False) == 2048 - 1000


def test_eeprom_write_with_torque_on_is_refused(bus):
    bus.enable_torque(["gripper"])
    with pytest.raises(MotorStatusError, match="gripper"):
        bus.write("Min_Position_Limit", "gripper", 5, normalize=False)
    bus.disable_torque(["gripper"])
    bus.write("Min_Position_Limit", "gripper", 5, normalize=False)


def test_sync_write_and_read_follow_goals(bus):
    bus.write("Operating_Mode", "shoulder_pan", 4, normalize=False)  # extended position
    bus.enable_torque()
    goals = {name: 1500 + 200 * i for i, name in enumerate(MOTORS)}
    goals["shoulder_pan"] = 6000  # beyond one turn in extended mode
    bus.sync_write("Goal_Position", goals, normalize=False)
    deadline = time.monotonic() + 3
    while bus.sync_read("Present_Position", normalize=False) != goals:
        assert time.monotonic() < deadline
        time.sleep(0.01)


def test_sync_read_failure_names_the_silent_motor(bus, koch):
    koch.inject("wrist_flex", no_reply=-1)
    with pytest.raises(MotorCommError, match=r"'wrist_flex' \(id 4\)"):
        bus.sync_read("Present_Position")
    koch.inject("wrist_flex", no_reply=1)
    assert bus.sync_read("Present_Position", normalize=False)["wrist_flex"] == 2048
    assert bus.stats.retries >= 2


def test_drive_mode_is_applied_by_the_servo(bus, koch):
    bus.write("Drive_Mode", "elbow_flex", 1, normalize=False)
    assert bus.read("Present_Position", "elbow_flex", normalize=False) == -2048
    bus.calibration = {
        name: MotorCalibration(
            id=m.id, drive_mode=0, homing_offset=0, range_min=1000, range_max=3000
        )
        for name, m in MOTORS.items()
    }
    koch.move("gripper", 1500)
    assert bus.read("Present_Position", "gripper") == 25.0
    assert bus.read_calibration()["elbow_flex"].drive_mode == 1


def test_half_turn_homing(bus, koch):
    koch.move("elbow_flex", 3000)
    bus.disable_torque()
    offsets = bus.set_half_turn_homings()
    assert offsets["elbow_flex"] == 2047 - 3000
    assert bus.sync_read("Present_Position", normalize=False)["elbow_flex"] == 2047


@pytest.mark.parametrize(
    "initial",
    [
        57_600,
        pytest.param(None, marks=pytest.mark.slow, id="scan"),
    ],  # the SDK's 9600 bps scan takes ~5 s
)
def test_setup_motor_from_factory_baud_rate(initial):
    with ServoEmulator([ServoSpec("elbow_flex", "xl330-m288", id=1, baudrate=57_600)]) as emu:
        bus = DynamixelMotorsBus(emu.port, MOTORS)
        bus.setup_motor("elbow_flex", initial_baudrate=initial)
        state = emu.state()["elbow_flex"]
        assert (state["id"], state["baudrate"]) == (3, 1_000_000)
        bus.disconnect(disable_torque=False)


def test_unsupported_operating_mode_is_refused_by_the_servo(bus):
    bus.write("Operating_Mode", "gripper", 5, normalize=False)  # current-based position: XL330
    with pytest.raises(MotorStatusError, match="shoulder_pan"):
        bus.write("Operating_Mode", "shoulder_pan", 5, normalize=False)  # not on an XL430
    assert bus.read("Operating_Mode", "shoulder_pan", normalize=False) == 3


def test_a_late_reply_is_not_taken_for_the_next_one(bus, koch):
    assert bus.timeout_ms == PTY_REPLY_TIMEOUT_MS  # the emulator's pty: 250 ms
    koch.inject("gripper", delay_s=PTY_REPLY_TIMEOUT_MS / 1000 + 0.05)  # later than that
    with pytest.raises(MotorCommError):
        bus.read("ID", "gripper", normalize=False, num_retry=0)
    koch.inject("gripper")  # answered once the late reply has been sent (one emulator thread)
    assert bus.read("Model_Number", "gripper", normalize=False) == 1200


def test_a_transaction_interrupted_midway_does_not_leave_the_port_busy(bus, koch):
    """Ctrl-C between the SDK's send and receive leaves its port flagged busy."""
    bus.transport.port_handler.is_using = True
    bus.enable_torque(["gripper"])
    bus.disable_torque()  # the torque-off after an interrupt must go through
    assert koch.register("gripper", "Torque_Enable") == 0


def test_a_pressed_trigger_springs_back_when_released(bus, koch):
    """Current-based position mode: a finger holds the gripper away from its goal, and the
    motor brings it back when the finger lets go (the Koch leader's trigger)."""
    bus.write("Operating_Mode", "gripper", 5, normalize=False)
    bus.enable_torque(["gripper"])
    bus.write("Goal_Position", "gripper", 2048, normalize=False)
    koch.press("gripper", 1500)
    assert bus.read("Present_Position", "gripper", normalize=False) == 1500
    time.sleep(0.1)
    assert bus.read("Present_Position", "gripper", normalize=False) == 1500  # held
    koch.release("gripper")
    deadline = time.monotonic() + 2
    while bus.read("Present_Position", "gripper", normalize=False) != 2048:
        assert time.monotonic() < deadline
        time.sleep(0.01)
