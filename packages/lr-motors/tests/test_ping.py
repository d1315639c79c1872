"""Public ping / broadcast_ping with LeRobot's signatures and return values, on both vendors."""

from __future__ import annotations

import pytest

from lr_core.errors import DeviceNotConnectedError
from lr_motors.dynamixel.bus import DynamixelMotorsBus
from lr_motors.emulator import ServoEmulator, ServoSpec
from lr_motors.errors import MotorCommError, MotorStatusError
from lr_motors.feetech.bus import FeetechMotorsBus
from lr_motors.presets import robot_motors

CASES = [
    ("so101", FeetechMotorsBus, {"gripper": 777, "shoulder_pan": 777}),
    ("koch", DynamixelMotorsBus, {"gripper": 1200, "shoulder_pan": 1060}),
]


@pytest.fixture(params=CASES, ids=[c[0] for c in CASES])
def arm(request):
    robot, cls, models = request.param
    motors = robot_motors(robot).motors
    from lr_motors.emulator import robot_servos

    with ServoEmulator(robot_servos(robot)) as emu:
        bus = cls(emu.port, motors, retries=0)
        bus.connect()
        yield emu, bus, motors, models
        bus.disconnect(disable_torque=False)


def test_ping_by_name_or_id_returns_the_model_number(arm):
    _, bus, motors, models = arm
    assert bus.ping("gripper") == models["gripper"]
    assert bus.ping(motors["shoulder_pan"].id) == models["shoulder_pan"]
    assert bus.ping(42) is None  # nobody at id 42


def test_ping_of_a_silent_or_faulted_motor(arm):
    emu, bus, motors, _ = arm
    emu.detach("wrist_flex")
    assert bus.ping("wrist_flex") is None
    with pytest.raises(MotorCommError, match=r"ping motor 'wrist_flex' \(id 4\).*" + emu.port):
        bus.ping("wrist_flex", raise_on_error=True)
    emu.attach("wrist_flex")
    emu.inject("wrist_flex", no_reply=1)
    assert bus.ping("wrist_flex", num_retry=1) == bus.model_number_table[motors["wrist_flex"].model]
    emu.inject("elbow_flex", error=0x04 if bus.vendor == "feetech" else 0x01)
    assert bus.ping("elbow_flex") is None
    with pytest.raises(MotorStatusError, match="elbow_flex"):
        bus.ping("elbow_flex", raise_on_error=True)


def test_broadcast_ping_lists_every_servo(arm):
    _, bus, motors, models = arm
    found = bus.broadcast_ping()
    assert sorted(found) == [m.id for m in motors.values()]
    assert found[motors["gripper"].id] == models["gripper"]


def test_broadcast_ping_on_an_empty_bus():
    with ServoEmulator([ServoSpec("a", "sts3215", 1, attached=False)]) as emu:
        bus = FeetechMotorsBus(emu.port, {})
        bus.connect(handshake=False)
        assert bus.broadcast_ping() is None
        with pytest.raises(MotorCommError, match="no servo answered a broadcast ping"):
            bus.broadcast_ping(raise_on_error=True)
        bus.disconnect(disable_torque=False)
    with pytest.raises(DeviceNotConnectedError):
        bus.ping(1)
