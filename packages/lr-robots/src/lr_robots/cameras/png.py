"""Write a frame as a PNG file with the standard library only (zlib), for ``lr find-cameras``.

PNG (ISO/IEC 15948): the signature, an ``IHDR`` chunk (8-bit RGB, no interlace), one ``IDAT``
chunk of zlib-compressed scanlines each prefixed with filter type 0, and ``IEND``; every chunk
is length + type + data + CRC-32 of type and data.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np

from lr_core.fileio import atomic_path

SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def encode_png(image: np.ndarray) -> bytes:
    """PNG bytes of a ``(H, W, 3)`` uint8 RGB image."""
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(f"expected a (H, W, 3) uint8 image, got {image.shape} {image.dtype}")
    height, width = image.shape[:2]
    rows = np.zeros((height, 1 + 3 * width), np.uint8)
    rows[:, 1:] = image.reshape(height, 3 * width)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        SIGNATURE
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(rows.tobytes(), 6))
        + _chunk(b"IEND", b"")
    )


def save_png(image: np.ndarray, path: Path) -> Path:
    """Write ``image`` (RGB) to ``path`` atomically; returns ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        Path(tmp).write_bytes(encode_png(image))
    return path
