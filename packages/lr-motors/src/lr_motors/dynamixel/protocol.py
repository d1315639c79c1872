"""Dynamixel Protocol 2.0 packets: CRC-16, byte stuffing, framing.

``FF FF FD 00 | ID | LEN_L LEN_H | INST | params… | CRC_L CRC_H`` with ``LEN = len(params) + 3``
(after stuffing) and CRC-16 (polynomial 0x8005, init 0) over everything before the CRC.
Stuffing inserts ``FD`` after any ``FF FF FD`` inside the instruction+params. Status packets
have ``INST = 0x55`` followed by an error byte. The bus itself talks through dynamixel-sdk; this
codec serves the emulator and the tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

HEADER = b"\xff\xff\xfd\x00"
BROADCAST_ID = 0xFE
STATUS = 0x55


class Instruction(IntEnum):
    """Instruction codes."""

    PING = 0x01
    READ = 0x02
    WRITE = 0x03
    REG_WRITE = 0x04
    ACTION = 0x05
    FACTORY_RESET = 0x06
    REBOOT = 0x08
    CLEAR = 0x10
    SYNC_READ = 0x82
    SYNC_WRITE = 0x83
    FAST_SYNC_READ = 0x8A
    BULK_READ = 0x92
    BULK_WRITE = 0x93


class StatusErrorCode(IntEnum):
    """Low 7 bits of a status error byte (bit 7 is the hardware alert flag)."""

    RESULT_FAIL = 1
    INSTRUCTION = 2
    CRC = 3
    DATA_RANGE = 4
    DATA_LENGTH = 5
    DATA_LIMIT = 6
    ACCESS = 7


ALERT = 0x80


def _crc_table() -> list[int]:
    table: list[int] = []
    for i in range(256):
        crc = i << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x8005) if crc & 0x8000 else crc << 1
        table.append(crc & 0xFFFF)
    return table


_CRC_TABLE = _crc_table()


def crc16(data: bytes | bytearray, crc: int = 0) -> int:
    """CRC-16/BUYPASS as the Protocol 2.0 spec defines it."""
    table = _CRC_TABLE
    for byte in data:
        crc = ((crc << 8) & 0xFFFF) ^ table[((crc >> 8) ^ byte) & 0xFF]
    return crc


def stuff(payload: bytes) -> bytes:
    """Insert ``FD`` after each ``FF FF FD``."""
    return payload.replace(b"\xff\xff\xfd", b"\xff\xff\xfd\xfd")


def unstuff(payload: bytes) -> bytes:
    """Inverse of :func:`stuff`."""
    return payload.replace(b"\xff\xff\xfd\xfd", b"\xff\xff\xfd")


def _frame(motor_id: int, payload: bytes) -> bytes:
    payload = stuff(payload)
    head = HEADER + bytes((motor_id,)) + (len(payload) + 2).to_bytes(2, "little") + payload
    return head + crc16(head).to_bytes(2, "little")


def instruction_packet(motor_id: int, instruction: int, params: bytes = b"") -> bytes:
    """Frame an instruction packet."""
    return _frame(motor_id, bytes((instruction,)) + params)


def status_packet(motor_id: int, error: int, params: bytes = b"") -> bytes:
    """Frame a status packet."""
    return _frame(motor_id, bytes((STATUS, error)) + params)


@dataclass(frozen=True)
class Packet:
    """A decoded packet; for status packets ``instruction`` is 0x55 and ``params[0]`` the error."""

    id: int
    instruction: int
    params: bytes


class FrameError(ValueError):
    """A packet's CRC is wrong (``args[1]``: bytes to drop)."""


def parse_packet(buffer: bytes | bytearray) -> tuple[Packet | None, int]:
    """Decode the first packet in ``buffer``: ``(packet or None, bytes consumed)``."""
    start = buffer.find(HEADER)
    if start < 0:
        keep = next((k for k in (3, 2, 1) if bytes(buffer[-k:]) == HEADER[:k]), 0)
        return None, len(buffer) - keep
    if len(buffer) < start + 7:
        return None, start
    length = int.from_bytes(buffer[start + 5 : start + 7], "little")
    end = start + 7 + length
    if len(buffer) < end:
        return None, start
    crc = crc16(buffer[start : end - 2])
    if crc != int.from_bytes(buffer[end - 2 : end], "little"):
        raise FrameError("bad CRC", start + 4)
    payload = unstuff(bytes(buffer[start + 7 : end - 2]))
    return Packet(buffer[start + 4], payload[0], payload[1:]), end
