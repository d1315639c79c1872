"""Signed-number encodings used by servo registers.

Feetech STS/SMS registers store signed values as sign-magnitude with a per-register sign bit
(``Homing_Offset`` bit 11, positions and velocities bit 15, ``Present_Load`` bit 10); Dynamixel
registers use two's complement over the register width.
"""

from __future__ import annotations

from lr_motors.errors import MotorConfigError


def encode_sign_magnitude(value: int, sign_bit: int) -> int:
    """``-5`` with sign bit 15 → ``0x8005``; raises if ``|value|`` overflows ``sign_bit`` bits."""
    magnitude = abs(value)
    if magnitude > (1 << sign_bit) - 1:
        raise MotorConfigError(
            f"value {value} does not fit a sign-magnitude field with sign bit {sign_bit} "
            f"(|value| must be <= {(1 << sign_bit) - 1})"
        )
    return ((1 << sign_bit) | magnitude) if value < 0 else magnitude


def decode_sign_magnitude(encoded: int, sign_bit: int) -> int:
    """Inverse of :func:`encode_sign_magnitude` (bits above the sign bit are ignored)."""
    magnitude = encoded & ((1 << sign_bit) - 1)
    return -magnitude if (encoded >> sign_bit) & 1 else magnitude


def encode_twos_complement(value: int, n_bytes: int) -> int:
    """``-1`` on 4 bytes → ``0xFFFFFFFF``. Raises when ``value`` does not fit ``n_bytes``."""
    bits = 8 * n_bytes
    if not -(1 << (bits - 1)) <= value <= (1 << (bits - 1)) - 1:
        raise MotorConfigError(
            f"value {value} does not fit a {n_bytes}-byte two's complement field "
            f"[{-(1 << (bits - 1))}, {(1 << (bits - 1)) - 1}]"
        )
    return value & ((1 << bits) - 1)


def decode_twos_complement(encoded: int, n_bytes: int) -> int:
    """Inverse of :func:`encode_twos_complement`."""
    bits = 8 * n_bytes
    return encoded - (1 << bits) if encoded & (1 << (bits - 1)) else encoded
