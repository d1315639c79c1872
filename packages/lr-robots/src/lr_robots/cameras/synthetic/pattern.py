"""The synthetic camera's test pattern and the stamp it carries (frame index + capture time).

Every frame holds, in its top-left corner, a grid of black/white square blocks encoding
120 bits: an 8-bit marker ``0xB2``, the 32-bit frame index, the capture time as a float64
(``time.time()``, seconds) and a CRC-16 (``binascii.crc_hqx``) over the first 13 bytes. The grid
has 16 columns and 8 rows; a block is ``min(8, W // 16, H // 16)`` pixels wide, from the size
of the frame as generated (before any rotation), so frames must be at least 32x32. Blocks of
8 pixels sit on JPEG/H.264 8x8 transform blocks: the stamp survives lossy video encoding.

The rest of the frame is a colour gradient scrolling left by 4 pixels a frame, so motion and
staleness are visible to a person too.
"""

from __future__ import annotations

import binascii
import struct

import numpy as np

MARKER = 0xB2
COLUMNS, ROWS = 16, 8
_PAYLOAD_BYTES = 13  # marker 1 + index 4 + time 8
SCROLL_PX = 4


def block_size(width: int, height: int) -> int:
    """Side of one stamp block (px) in a ``width x height`` frame; ``ValueError`` if < 2."""
    size = min(8, width // COLUMNS, height // COLUMNS)
    if size < 2:
        raise ValueError(f"a {width}x{height} frame is too small for the stamp (min 32x32)")
    return size


def _bits(index: int, timestamp: float) -> np.ndarray:
    payload = struct.pack(">BId", MARKER, index & 0xFFFFFFFF, timestamp)
    crc = binascii.crc_hqx(payload, 0)
    data = payload + struct.pack(">H", crc)
    bits = np.unpackbits(np.frombuffer(data, np.uint8))
    return np.concatenate([bits, np.zeros(COLUMNS * ROWS - bits.size, np.uint8)])


class PatternGenerator:
    """Makes ``(height, width, 3)`` uint8 RGB frames; each call costs one frame copy."""

    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self.block = block_size(width, height)
        x = np.arange(2 * width)
        y = np.arange(height)[:, None]
        period = max(width, 1)
        red = (127.5 + 127.5 * np.sin(2 * np.pi * x / period)).astype(np.uint8)
        green = (y * 255 // max(height - 1, 1)).astype(np.uint8)
        blue = ((x // 32) % 2 * 160 + 40).astype(np.uint8)
        base = np.empty((height, 2 * width, 3), np.uint8)
        base[..., 0] = red[None, :]
        base[..., 1] = green
        base[..., 2] = blue[None, :]
        self._base = base

    def frame(self, index: int, timestamp: float) -> np.ndarray:
        """Frame ``index`` stamped with ``timestamp`` (seconds)."""
        offset = (index * SCROLL_PX) % self.width
        out = self._base[:, offset : offset + self.width].copy()
        b = self.block
        grid = _bits(index, timestamp).reshape(ROWS, COLUMNS) * np.uint8(255)
        stamp = np.repeat(np.repeat(grid, b, axis=0), b, axis=1)
        out[: ROWS * b, : COLUMNS * b] = stamp[..., None]
        return out


def decode_stamp(frame: np.ndarray) -> tuple[int, float] | None:
    """``(frame index, capture time)`` read from a synthetic frame in any of the four
    rotations and either channel order; ``None`` if no valid stamp is found."""
    candidates = [frame, np.rot90(frame, 1), np.rot90(frame, 2), np.rot90(frame, 3)]
    for candidate in candidates:
        found = _decode_upright(candidate)
        if found is not None:
            return found
    return None


def _decode_upright(frame: np.ndarray) -> tuple[int, float] | None:
    h, w = frame.shape[:2]
    try:
        b = block_size(w, h)
    except ValueError:
        return None
    lo, hi = b // 4, b - b // 4
    gray = frame[: ROWS * b, : COLUMNS * b].astype(np.float32).mean(axis=2)
    cells = gray.reshape(ROWS, b, COLUMNS, b)[:, lo:hi, :, lo:hi].mean(axis=(1, 3))
    bits = (cells.reshape(-1) > 127.5).astype(np.uint8)
    data = np.packbits(bits[: (_PAYLOAD_BYTES + 2) * 8]).tobytes()
    payload, (crc,) = data[:_PAYLOAD_BYTES], struct.unpack(">H", data[_PAYLOAD_BYTES:])
    if payload[0] != MARKER or binascii.crc_hqx(payload, 0) != crc:
        return None
    _, index, timestamp = struct.unpack(">BId", payload)
    return index, timestamp
