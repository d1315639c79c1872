from __future__ import annotations

import dynamixel_sdk
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lr_motors.dynamixel import protocol as p
from lr_motors.dynamixel import tables


@given(st.binary(max_size=64))
def test_crc_matches_the_sdk(data):
    handler = dynamixel_sdk.PacketHandler(2.0)
    assert p.crc16(data) == handler.updateCRC(0, list(data), len(data))


def test_ping_packet_from_the_emanual():
    # ROBOTIS e-manual, Protocol 2.0 PING example for ID 1: FF FF FD 00 01 03 00 01 19 4E
    assert p.instruction_packet(1, p.Instruction.PING) == bytes.fromhex("fffffd0001030001194e")


@given(st.binary(max_size=40))
def test_stuffing_round_trip(payload):
    assert p.unstuff(p.stuff(payload)) == payload


def test_stuffed_packet_parses_back():
    params = bytes.fromhex("7400ffff fd00".replace(" ", ""))
    pkt = p.instruction_packet(2, p.Instruction.WRITE, params)
    assert b"\xff\xff\xfd\xfd" in pkt
    packet, consumed = p.parse_packet(b"\x00" + pkt)
    assert consumed == len(pkt) + 1
    assert packet == p.Packet(2, p.Instruction.WRITE, params)


def test_bad_crc():
    pkt = bytearray(p.status_packet(1, 0, b"\x01"))
    pkt[-2] ^= 1
    with pytest.raises(p.FrameError):
        p.parse_packet(pkt)


def test_tables():
    assert tables.X_SERIES_CONTROL_TABLE["Goal_Position"] == (116, 4)
    assert tables.MODEL_NUMBER_TABLE["xl330-m288"] == 1200
    assert tables.BAUDRATE_TABLE[1_000_000] == 3
    assert tables.SIGNED_REGISTERS["Homing_Offset"] == 4
