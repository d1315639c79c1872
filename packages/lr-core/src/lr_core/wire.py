"""Binary encoding of :mod:`lr_core.messages`: a JSON header plus raw array buffers.

A message becomes a list of frames (ideal for ZeroMQ multipart)::

    frame 0   UTF-8 JSON {"v": 1, "kind": "TimedObservation", "body": {...},
                         "arrays": [{"dtype": "|u1", "shape": [480, 640, 3]}, ...]}
    frame 1.. the raw C-order bytes of each array, in the order of "arrays"

Arrays inside ``body`` are replaced by ``{"__array__": i}``. Decoding wraps the buffers
with ``np.frombuffer`` (zero copy; the arrays are read-only). Nothing is ever pickled, so a
malformed or hostile message can only fail validation. :func:`to_bytes` packs the frames
into one buffer for transports without multipart messages.
"""

from __future__ import annotations

import json
import math
import struct
from collections.abc import Sequence
from typing import Any

import numpy as np

from lr_core.errors import WireFormatError
from lr_core.messages import (
    WIRE_DTYPE_KINDS,
    Ack,
    ActionChunk,
    ErrorReply,
    PolicySpec,
    TimedObservation,
    WireMessage,
)

WIRE_VERSION = 1
MAX_HEADER_BYTES = 16 * 1024 * 1024
#: Most dimensions an array on the wire may have (numpy itself allows 64).
MAX_ARRAY_DIMS = 32
_MAGIC = b"LRW1"

#: Message kinds accepted by :func:`decode`, by name.
MESSAGE_TYPES: dict[str, type[WireMessage]] = {
    cls.__name__: cls for cls in (PolicySpec, TimedObservation, ActionChunk, Ack, ErrorReply)
}

Buffer = bytes | bytearray | memoryview


def register_message(cls: type[WireMessage]) -> type[WireMessage]:
    """Allow ``cls`` on the wire (a class decorator for messages defined elsewhere)."""
    MESSAGE_TYPES[cls.__name__] = cls
    return cls


def encode(message: WireMessage) -> list[Buffer]:
    """Frames for ``message``: the JSON header, then one raw buffer per array."""
    if type(message).__name__ not in MESSAGE_TYPES:
        raise WireFormatError(f"{type(message).__name__} is not a registered wire message")
    arrays: list[np.ndarray] = []
    body = _extract_arrays(message.model_dump(mode="python"), arrays)
    header = {
        "v": WIRE_VERSION,
        "kind": type(message).__name__,
        "body": body,
        "arrays": [{"dtype": a.dtype.str, "shape": list(a.shape)} for a in arrays],
    }
    try:
        head = json.dumps(header, separators=(",", ":"), allow_nan=True).encode()
    except (TypeError, ValueError) as exc:
        raise WireFormatError(f"{type(message).__name__} cannot be encoded: {exc}") from exc
    frames: list[Buffer] = [head]
    for array in arrays:
        contiguous = np.ascontiguousarray(array)
        frames.append(memoryview(contiguous).cast("B") if contiguous.size else b"")
    return frames


def decode(frames: Sequence[Any]) -> WireMessage:
    """Rebuild a message from the frames :func:`encode` made (any buffer-like frames)."""
    if not frames:
        raise WireFormatError("empty message: no header frame")
    try:
        head = memoryview(frames[0])
    except TypeError as exc:
        raise WireFormatError(f"header frame is not a buffer: {exc}") from exc
    if head.nbytes > MAX_HEADER_BYTES:
        raise WireFormatError(f"header of {head.nbytes} bytes exceeds {MAX_HEADER_BYTES}")
    try:
        header = json.loads(head.tobytes())
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise WireFormatError(f"header is not JSON: {exc}") from exc
    except RecursionError:
        raise WireFormatError("header JSON is nested too deeply") from None
    if not isinstance(header, dict) or header.get("v") != WIRE_VERSION:
        raise WireFormatError(
            f"unsupported wire version {header.get('v') if isinstance(header, dict) else None!r}"
            f" (this side speaks {WIRE_VERSION})"
        )
    kind = header.get("kind")
    cls = MESSAGE_TYPES.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise WireFormatError(f"unknown message kind {kind!r}; known: {sorted(MESSAGE_TYPES)}")
    specs = header.get("arrays", [])
    if not isinstance(specs, list) or len(specs) != len(frames) - 1:
        raise WireFormatError(
            f"{kind}: header lists {len(specs) if isinstance(specs, list) else '?'} arrays "
            f"but {len(frames) - 1} buffers arrived"
        )
    arrays = [
        _array_from(spec, frame, kind, i) for i, (spec, frame) in enumerate(zip(specs, frames[1:]))
    ]
    try:
        body = _insert_arrays(header.get("body"), arrays)
        return cls.model_validate(body)
    except RecursionError:
        raise WireFormatError(f"{kind}: body is nested too deeply") from None
    except (ValueError, TypeError, OverflowError) as exc:
        raise WireFormatError(f"{kind} failed validation: {exc}") from exc


def to_bytes(message: WireMessage) -> bytes:
    """One buffer: magic, frame count, then each frame prefixed by its 8-byte length."""
    frames = encode(message)
    parts = [_MAGIC, struct.pack("<I", len(frames))]
    for frame in frames:
        parts.append(struct.pack("<Q", memoryview(frame).nbytes))
        parts.append(bytes(frame))
    return b"".join(parts)


def from_bytes(data: Buffer) -> WireMessage:
    """Inverse of :func:`to_bytes`."""
    view = memoryview(data)
    if view[:4].tobytes() != _MAGIC or view.nbytes < 8:
        raise WireFormatError("not an lr wire buffer (bad magic)")
    (count,) = struct.unpack_from("<I", view, 4)
    offset, frames = 8, []
    for _ in range(count):
        if offset + 8 > view.nbytes:
            raise WireFormatError("truncated wire buffer")
        (size,) = struct.unpack_from("<Q", view, offset)
        offset += 8
        if offset + size > view.nbytes:
            raise WireFormatError("truncated wire buffer")
        frames.append(view[offset : offset + size])
        offset += size
    return decode(frames)


def _extract_arrays(value: Any, arrays: list[np.ndarray]) -> Any:
    if isinstance(value, np.ndarray):
        arrays.append(value)
        return {"__array__": len(arrays) - 1}
    if isinstance(value, dict):
        return {k: _extract_arrays(v, arrays) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_extract_arrays(v, arrays) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _insert_arrays(value: Any, arrays: list[np.ndarray]) -> Any:
    if isinstance(value, dict):
        if set(value) == {"__array__"}:
            index = value["__array__"]
            if not isinstance(index, int) or not 0 <= index < len(arrays):
                raise WireFormatError(f"array reference {index!r} out of range")
            return arrays[index]
        return {k: _insert_arrays(v, arrays) for k, v in value.items()}
    if isinstance(value, list):
        return [_insert_arrays(v, arrays) for v in value]
    return value


def _array_from(spec: Any, frame: Any, kind: str, index: int) -> np.ndarray:
    try:
        dtype = np.dtype(spec["dtype"])
        shape = tuple(int(d) for d in spec["shape"])
    except (KeyError, TypeError, ValueError, OverflowError) as exc:
        raise WireFormatError(f"{kind}: array {index} has a bad spec {spec!r:.200}") from exc
    if (
        dtype.kind not in WIRE_DTYPE_KINDS
        or len(shape) > MAX_ARRAY_DIMS
        or any(d < 0 or d > 2**62 for d in shape)
    ):
        raise WireFormatError(f"{kind}: array {index} has a forbidden dtype/shape {spec!r:.200}")
    try:
        buffer = memoryview(frame)
    except TypeError as exc:
        raise WireFormatError(f"{kind}: array {index} frame is not a buffer: {exc}") from exc
    expected = math.prod(shape) * dtype.itemsize  # Python ints: no overflow for huge shapes
    if buffer.nbytes != expected:
        raise WireFormatError(
            f"{kind}: array {index} should hold {expected} bytes for {dtype} {list(shape)}, "
            f"got {buffer.nbytes}"
        )
    try:
        return np.frombuffer(buffer, dtype=dtype).reshape(shape)
    except ValueError as exc:  # e.g. a zero-size array whose other dimensions overflow numpy
        raise WireFormatError(
            f"{kind}: array {index} cannot be shaped {list(shape)}: {exc}"
        ) from exc
