from __future__ import annotations

import pytest
import scservo_sdk as scs

from lr_motors.feetech import protocol as p
from lr_motors.feetech import tables


def test_ping_packet_bytes():
    # FF FF 01 02 01 ~(1+2+1)=0xFB
    assert p.instruction_packet(1, p.Instruction.PING) == bytes.fromhex("ffff010201fb")


def test_read_packet_matches_the_sdk_checksum():
    pkt = p.instruction_packet(3, p.Instruction.READ, p.read_params(56, 2))
    body = [3, 4, scs.INST_READ, 56, 2]
    assert pkt == bytes([0xFF, 0xFF, *body, ~sum(body) & 0xFF])


def test_parse_round_trip_with_garbage_and_split():
    pkt = p.status_packet(6, 0x20, p.encode_value(3000, 2))
    buf = b"\x00\x13" + pkt
    packet, consumed = p.parse_packet(buf[:7])
    assert packet is None
    packet, consumed = p.parse_packet(buf)
    assert consumed == len(buf)
    assert packet == p.Packet(6, 0x20, (3000).to_bytes(2, "little"))
    assert p.describe_error(packet.code) == "overload"


def test_bad_checksum_raises_with_bytes_to_drop():
    pkt = bytearray(p.status_packet(1, 0))
    pkt[-1] ^= 0xFF
    with pytest.raises(p.FrameError) as info:
        p.parse_packet(pkt)
    assert info.value.args[1] == 2


def test_sync_params():
    assert p.sync_read_params(56, 2, [1, 2]) == bytes([56, 2, 1, 2])
    assert p.sync_write_params(42, 2, {1: b"\x00\x08", 2: b"\x01\x00"}) == bytes(
        [42, 2, 1, 0, 8, 2, 1, 0]
    )


def test_protocol_1_is_big_endian():
    assert p.encode_value(0x1234, 2, protocol=1) == b"\x12\x34"
    assert p.decode_value(b"\x12\x34", protocol=0) == 0x3412


def test_error_bits_names():
    assert p.describe_error(0) == "none"
    assert p.describe_error(1 | 4 | 64) == "voltage, overheat, unknown bits 0x40"


def test_tables_match_the_documented_addresses():
    sts = tables.STS_SMS_SERIES_CONTROL_TABLE
    assert sts["Homing_Offset"] == (31, 2)
    assert sts["Lock"] == (55, 1)
    assert sts["Present_Position"] == (56, 2)
    assert tables.SCS_SERIES_CONTROL_TABLE["Lock"] == (48, 1)
    assert tables.MODEL_NUMBER_TABLE["sts3215"] == 777
    assert tables.BAUDRATE_TABLE[1_000_000] == 0
    assert tables.STS_SMS_SIGN_BITS["Homing_Offset"] == 11
    for table in (sts, tables.SCS_SERIES_CONTROL_TABLE):
        eeprom = [n for n, (a, _) in table.items() if a < tables.EEPROM_END]
        assert "ID" in eeprom and "Torque_Enable" not in eeprom
