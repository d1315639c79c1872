"""Signed registers survive the wire: what a bus writes, the servo stores in its own encoding
and the bus reads back (hypothesis, through the emulator)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lr_motors.dynamixel.bus import DynamixelMotorsBus
from lr_motors.emulator import ServoEmulator, robot_servos
from lr_motors.encoding import encode_sign_magnitude
from lr_motors.feetech.bus import FeetechMotorsBus
from lr_motors.presets import robot_motors

SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture(scope="module")
def feetech():
    with ServoEmulator(robot_servos("so101")) as emu:
        bus = FeetechMotorsBus(emu.port, robot_motors("so101").motors)
        bus.connect()
        bus.disable_torque()
        yield emu, bus
        bus.disconnect()


@pytest.fixture(scope="module")
def dynamixel():
    with ServoEmulator(robot_servos("koch")) as emu:
        bus = DynamixelMotorsBus(emu.port, robot_motors("koch").motors)
        bus.connect()
        bus.disable_torque()
        # extended position: Position Control mode ignores offsets beyond ±1024
        bus.write("Operating_Mode", "wrist_roll", 4, normalize=False)
        yield emu, bus
        bus.disconnect()


@SETTINGS
@given(st.integers(-32767, 32767))
def test_feetech_goal_velocity_is_sign_magnitude(feetech, value):
    emu, bus = feetech
    bus.write("Goal_Velocity", "wrist_flex", value, normalize=False)
    assert emu.register("wrist_flex", "Goal_Velocity") == encode_sign_magnitude(value, 15)
    assert bus.read("Goal_Velocity", "wrist_flex", normalize=False) == value


@SETTINGS
@given(st.integers(-2047, 2047))
def test_feetech_homing_offset_shifts_the_position(feetech, offset):
    _, bus = feetech
    bus.write("Homing_Offset", "elbow_flex", offset, normalize=False)
    assert bus.read("Homing_Offset", "elbow_flex", normalize=False) == offset
    present = bus.read("Present_Position", "elbow_flex", normalize=False)
    assert present == (2048 - offset) % 4096


@SETTINGS
@given(st.integers(-1_044_479, 1_044_479))
def test_dynamixel_homing_offset_is_twos_complement(dynamixel, offset):
    emu, bus = dynamixel
    bus.write("Homing_Offset", "wrist_roll", offset, normalize=False)
    assert emu.register("wrist_roll", "Homing_Offset") == offset & 0xFFFFFFFF
    assert bus.read("Present_Position", "wrist_roll", normalize=False) == 2048 + offset
