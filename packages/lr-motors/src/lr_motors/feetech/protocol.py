"""The Feetech SCS/STS serial protocol: packet framing, checksum, instructions, status bits.

Instruction packet: ``FF FF | ID | LEN | INST | params… | CHK`` with ``LEN = len(params) + 2``
and ``CHK = ~(ID + LEN + INST + Σparams) & 0xFF``. A status packet has the same shape with an
error byte in place of ``INST``. Protocol 0 (STS/SMS) sends words little-endian, protocol 1
(SCS) big-endian. Pure functions on bytes: the bus and the emulator both use them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, IntFlag

HEADER = b"\xff\xff"
BROADCAST_ID = 0xFE
MAX_ID = 0xFC
#: Longest packet a servo accepts.
MAX_PACKET_LEN = 250
#: Bytes of a status packet without data: header (2), id, length, error, checksum.
STATUS_OVERHEAD = 6


class Instruction(IntEnum):
    """Instruction codes."""

    PING = 0x01
    READ = 0x02
    WRITE = 0x03
    REG_WRITE = 0x04
    ACTION = 0x05
    SYNC_READ = 0x82
    SYNC_WRITE = 0x83


class StatusError(IntFlag):
    """Bits of a status packet's error byte."""

    VOLTAGE = 1
    ANGLE = 2
    OVERHEAT = 4
    OVERCURRENT = 8
    OVERLOAD = 32


def describe_error(error: int) -> str:
    """``0x24`` → ``"overheat, overload"``."""
    names = [name.lower() for name, flag in StatusError.__members__.items() if error & flag]
    unknown = error & ~sum(StatusError)
    if unknown:
        names.append(f"unknown bits 0x{unknown:02x}")
    return ", ".join(names) or "none"


def checksum(body: bytes | bytearray) -> int:
    """Checksum of the bytes between the header and the checksum (ID … last param)."""
    return ~sum(body) & 0xFF


def instruction_packet(motor_id: int, instruction: int, params: bytes = b"") -> bytes:
    """Frame an instruction packet."""
    body = bytes((motor_id, len(params) + 2, instruction)) + params
    return HEADER + body + bytes((checksum(body),))


def status_packet(motor_id: int, error: int, params: bytes = b"") -> bytes:
    """Frame a status packet (what a servo answers)."""
    body = bytes((motor_id, len(params) + 2, error)) + params
    return HEADER + body + bytes((checksum(body),))


def encode_value(value: int, size: int, protocol: int = 0) -> bytes:
    """An unsigned register value as ``size`` bytes (little-endian for protocol 0)."""
    return value.to_bytes(size, "little" if protocol == 0 else "big")


def decode_value(data: bytes | bytearray, protocol: int = 0) -> int:
    """Inverse of :func:`encode_value`."""
    return int.from_bytes(data, "little" if protocol == 0 else "big")


def read_params(address: int, size: int) -> bytes:
    """Parameters of a READ."""
    return bytes((address, size))


def write_params(address: int, data: bytes) -> bytes:
    """Parameters of a WRITE or REG_WRITE."""
    return bytes((address,)) + data


def sync_read_params(address: int, size: int, ids: list[int]) -> bytes:
    """Parameters of a SYNC_READ: start address, data length, then the ids."""
    return bytes((address, size, *ids))


def sync_write_params(address: int, size: int, data: dict[int, bytes]) -> bytes:
    """Parameters of a SYNC_WRITE: start address, data length, then ``id + data`` per servo."""
    out = bytearray((address, size))
    for motor_id, payload in data.items():
        out.append(motor_id)
        out += payload
    return bytes(out)


@dataclass(frozen=True)
class Packet:
    """One decoded packet: ``code`` is the instruction (requests) or error byte (statuses)."""

    id: int
    code: int
    params: bytes


class FrameError(ValueError):
    """A packet's checksum or length is wrong."""


def parse_packet(buffer: bytes | bytearray) -> tuple[Packet | None, int]:
    """Decode the first packet in ``buffer``.

    Returns ``(packet, consumed)``. ``packet`` is ``None`` when more bytes are needed (then
    ``consumed`` counts leading garbage that can be dropped). A complete packet with a bad
    checksum raises :class:`FrameError` whose ``args[1]`` is the number of bytes to drop.
    """
    start = buffer.find(HEADER)
    if start < 0:
        # keep a trailing 0xFF: it may be the first byte of the next header
        return None, len(buffer) - (1 if buffer[-1:] == b"\xff" else 0)
    # skip runs of 0xFF before the id (FF FF FF id …)
    while start + 2 < len(buffer) and buffer[start + 2] == 0xFF:
        start += 1
    if len(buffer) < start + 4:
        return None, start
    length = buffer[start + 3]
    end = start + 4 + length
    if length < 2:
        raise FrameError(f"packet length {length} is too short", start + 2)
    if len(buffer) < end:
        return None, start
    body = buffer[start + 2 : end - 1]
    if checksum(body) != buffer[end - 1]:
        raise FrameError(
            f"bad checksum 0x{buffer[end - 1]:02x} (expected 0x{checksum(body):02x})", start + 2
        )
    return Packet(body[0], body[2], bytes(body[3:])), end
