"""The emulator on the wire: raw packets through pyserial, as a servo would see them."""

from __future__ import annotations

import time

import pytest
import serial

from lr_motors.dynamixel import protocol as dxl
from lr_motors.emulator import EmulatorError, ServoEmulator, ServoSpec, robot_servos
from lr_motors.feetech import protocol as ft


def transact(ser: serial.Serial, packet: bytes, n: int) -> bytes:
    ser.reset_input_buffer()
    ser.write(packet)
    return ser.read(n)


def ft_read(ser, motor_id, addr, size):
    reply = transact(
        ser, ft.instruction_packet(motor_id, ft.Instruction.READ, bytes((addr, size))), 6 + size
    )
    packet, _ = ft.parse_packet(reply)
    return packet


def ft_write(ser, motor_id, addr, data):
    reply = transact(
        ser, ft.instruction_packet(motor_id, ft.Instruction.WRITE, bytes((addr,)) + data), 6
    )
    return ft.parse_packet(reply)[0] if reply else None


@pytest.fixture
def port(so101):
    with serial.Serial(so101.port, 1_000_000, timeout=0.05) as ser:
        yield ser


def test_ping_answers_from_each_id_and_missing_ids_stay_silent(port):
    for motor_id in range(1, 7):
        reply = transact(port, ft.instruction_packet(motor_id, ft.Instruction.PING), 6)
        assert reply == ft.status_packet(motor_id, 0)
    assert transact(port, ft.instruction_packet(9, ft.Instruction.PING), 6) == b""


def test_model_number_and_firmware(port):
    assert ft.decode_value(ft_read(port, 1, 3, 2).params) == 777
    assert ft_read(port, 1, 0, 2).params == bytes((3, 10))


def test_broadcast_ping_gets_every_servo_in_id_order(port):
    reply = transact(port, ft.instruction_packet(ft.BROADCAST_ID, ft.Instruction.PING), 36)
    assert reply == b"".join(ft.status_packet(i, 0) for i in range(1, 7))


def test_sync_read_answers_in_the_requested_order(port):
    reply = transact(
        port,
        ft.instruction_packet(
            ft.BROADCAST_ID, ft.Instruction.SYNC_READ, ft.sync_read_params(56, 2, [3, 1])
        ),
        16,
    )
    first, used = ft.parse_packet(reply)
    second, _ = ft.parse_packet(reply[used:])
    assert (first.id, second.id) == (3, 1)
    assert ft.decode_value(first.params) == 2048


def test_eeprom_persists_only_when_unlocked(port, so101):
    assert so101.register("shoulder_pan", "Lock") == 1
    ft_write(port, 1, 9, (100).to_bytes(2, "little"))  # Min_Position_Limit while locked
    assert so101.register("shoulder_pan", "Min_Position_Limit") == 100
    so101.power_cycle("shoulder_pan")
    assert so101.register("shoulder_pan", "Min_Position_Limit") == 0
    ft_write(port, 1, 55, b"\x00")  # Lock = 0
    ft_write(port, 1, 9, (100).to_bytes(2, "little"))
    ft_write(port, 1, 40, b"\x01")
    so101.power_cycle("shoulder_pan")
    assert so101.register("shoulder_pan", "Min_Position_Limit") == 100
    assert so101.register("shoulder_pan", "Torque_Enable") == 0
    assert so101.register("shoulder_pan", "Lock") == 1


def test_read_only_registers_ignore_writes(port, so101):
    ft_write(port, 1, 55, b"\x00")
    ft_write(port, 1, 3, b"\x01\x02")
    assert so101.register("shoulder_pan", "Model_Number") == 777


def test_id_change_replies_from_the_old_id(port, so101):
    ft_write(port, 2, 55, b"\x00")
    reply = ft_write(port, 2, 5, b"\x09")
    assert reply.id == 2
    assert so101.state()["shoulder_lift"]["id"] == 9
    assert ft_read(port, 9, 5, 1).params == b"\x09"


def test_servos_only_hear_their_baud_rate(so101):
    with serial.Serial(so101.port, 500_000, timeout=0.05) as ser:
        assert transact(ser, ft.instruction_packet(1, ft.Instruction.PING), 6) == b""
        ser.baudrate = 1_000_000
        assert transact(ser, ft.instruction_packet(1, ft.Instruction.PING), 6) != b""


def test_position_follows_the_goal_under_torque(port, so101):
    ft_write(port, 1, 40, b"\x01")  # torque on: the goal becomes the present position
    assert so101.register("shoulder_pan", "Goal_Position") == 2048
    ft_write(port, 1, 42, (2548).to_bytes(2, "little"))
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline:
        if abs(ft.decode_value(ft_read(port, 1, 56, 2).params) - 2548) <= 1:
            break
    else:
        pytest.fail("the servo never reached its goal")
    ft_write(port, 1, 40, b"\x00")
    so101.move("shoulder_pan", 1000)  # torque off: a hand moves it freely
    assert ft.decode_value(ft_read(port, 1, 56, 2).params) == 1000


def test_speed_is_limited(port, so101):
    ft_write(port, 1, 46, (200).to_bytes(2, "little"))  # Goal_Velocity 200 ticks/s
    ft_write(port, 1, 40, b"\x01")
    ft_write(port, 1, 42, (3048).to_bytes(2, "little"))
    start = time.monotonic()
    time.sleep(0.2)
    moved = ft.decode_value(ft_read(port, 1, 56, 2).params) - 2048
    assert 0 < moved <= 200 * (time.monotonic() - start) + 2


def test_homing_offset_shifts_present_position(port, so101):
    ft_write(port, 1, 55, b"\x00")
    ft_write(port, 1, 31, (0x800 | 48).to_bytes(2, "little"))  # offset -48 (sign bit 11)
    assert ft.decode_value(ft_read(port, 1, 56, 2).params) == 2048 + 48


def test_fault_injection(port, so101):
    so101.inject("shoulder_pan", no_reply=1)
    assert transact(port, ft.instruction_packet(1, ft.Instruction.PING), 6) == b""
    assert transact(port, ft.instruction_packet(1, ft.Instruction.PING), 6) != b""
    so101.inject("shoulder_pan", corrupt=1)
    with pytest.raises(ft.FrameError):
        ft.parse_packet(transact(port, ft.instruction_packet(1, ft.Instruction.PING), 6))
    so101.inject("shoulder_pan", error=ft.StatusError.OVERLOAD)
    assert ft_read(port, 1, 56, 2).code == 32
    so101.inject("shoulder_pan", delay_s=0.03)
    start = time.monotonic()
    assert ft_read(port, 1, 56, 2) is not None
    assert time.monotonic() - start >= 0.03
    so101.inject("shoulder_pan")
    so101.detach("shoulder_pan")
    assert transact(port, ft.instruction_packet(1, ft.Instruction.PING), 6) == b""
    assert so101.stats()["requests"] > 0


def test_bad_checksum_requests_are_dropped(port, so101):
    bad = bytearray(ft.instruction_packet(1, ft.Instruction.PING))
    bad[-1] ^= 0x55
    assert transact(port, bytes(bad), 6) == b""
    assert so101.stats()["bad_frames"] == 1
    assert transact(port, ft.instruction_packet(1, ft.Instruction.PING), 6) != b""


def test_dynamixel_servos_answer_protocol_2(koch):
    with serial.Serial(koch.port, 1_000_000, timeout=0.05) as ser:
        reply = transact(ser, dxl.instruction_packet(1, dxl.Instruction.PING), 14)
        packet, _ = dxl.parse_packet(reply)
        assert packet.params == bytes((0, 1060 & 0xFF, 1060 >> 8, 52))
        # EEPROM write with torque on: access error, value unchanged
        transact(ser, dxl.instruction_packet(3, dxl.Instruction.WRITE, bytes((64, 0, 1))), 11)
        reply = transact(
            ser, dxl.instruction_packet(3, dxl.Instruction.WRITE, bytes((9, 0, 5))), 11
        )
        assert dxl.parse_packet(reply)[0].params[0] == dxl.StatusErrorCode.ACCESS
        assert koch.register("elbow_flex", "Return_Delay_Time") == 250


def test_mixed_vendors_and_bad_commands_are_refused():
    with pytest.raises(ValueError, match="mix vendors"):
        ServoEmulator([ServoSpec("a", "sts3215", 1), ServoSpec("b", "xl330-m288", 2)])
    with (
        ServoEmulator([ServoSpec("a", "sts3215", 1)]) as emu,
        pytest.raises(EmulatorError, match="nope"),
    ):
        emu.move("nope", 1)


def test_factory_preset_starts_detached_at_id_1():
    servos = robot_servos("koch", "follower", factory=True)
    assert {(s.id, s.baudrate, s.attached) for s in servos} == {(1, 57_600, False)}


def test_emulated_port_context_manager():
    import os

    from lr_motors.emulator import emulated_port

    with emulated_port("koch", "leader") as port:
        assert os.path.exists(port)
        with serial.Serial(port, 1_000_000, timeout=0.1) as ser:
            reply = transact(ser, dxl.instruction_packet(6, dxl.Instruction.PING), 14)
            assert dxl.parse_packet(reply)[0].params[1:3] == (1190).to_bytes(2, "little")


def test_feetech_servo_regulates_its_wrapped_reading_not_the_shaft_turns():
    """Shaft at 4095 with offset -2047 reads 2046; holding that goal must not turn the shaft a
    full turn (the servo regulates 0..4095, it does not count turns)."""
    from lr_core.motors import Motor, MotorNormMode
    from lr_motors.feetech.bus import FeetechMotorsBus

    with ServoEmulator([ServoSpec("j", "sts3215", 1, position=4095)]) as emu:
        bus = FeetechMotorsBus(emu.port, {"j": Motor(id=1, model="sts3215",
                                                     norm_mode=MotorNormMode.DEGREES)})  # fmt: skip
        bus.connect()
        bus.disable_torque()
        bus.write("Homing_Offset", "j", -2047, normalize=False)
        assert bus.read("Present_Position", "j", normalize=False) == 2046
        bus.enable_torque()
        bus.write("Goal_Position", "j", 2100, normalize=False)
        deadline = time.monotonic() + 2
        while bus.read("Present_Position", "j", normalize=False) != 2100:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        assert abs(emu.state()["j"]["actual"] - (4095 + 54)) < 1  # 54 ticks on, no turn
        bus.disconnect()
