"""The encoder process: encodes the episodes its parent sends, one MP4 at a time.

Started by :mod:`lr_dataset.video.encoder_process` as ``python -m lr_dataset.video.encoder_child``
(a fresh interpreter: never a fork of a recorder that may hold EGL/MuJoCo contexts or torch
threads). A hung encoder (SVT-AV1 now and then never returns from a flush: docs/dataset.md,
"When the AV1 encoder hangs") then hangs this process alone, which the parent kills.

Protocol on stdin/stdout, every message a tag byte, a little-endian uint32 length and a payload:

- parent -> child: ``O`` JSON header (``path``, ``width``, ``height``, ``fps``, ``vcodec``,
  ``pix_fmt``, ``options``, ``in_format``, ``hang``); ``F`` one raw frame (``in_format``,
  ``height x width``); ``E`` end of the episode (flush and close the file);
- child -> parent: ``R`` once started (PyAV imported), ``K`` after the encoder is open, ``D``
  after the file is closed (JSON ``{"frames": n}``), ``X`` JSON ``{"error": "..."}`` when
  encoding failed (the child then exits).

The C libraries' own prints go to stderr: the protocol uses a duplicate of the original stdout.
``hang`` (tests only: ``"open"``, ``"frame:N"`` or ``"flush"``) makes the child stop answering
at that step, as a hung SVT-AV1 does. The child exits when its stdin closes (the parent ended).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import struct
import sys
import threading
import time
from fractions import Fraction
from typing import Any, BinaryIO

HEADER = struct.Struct("<cI")


def _read_exact(stream: BinaryIO, n: int) -> bytes | None:
    data = stream.read(n)
    if data is None or len(data) < n:
        return None
    return data


def read_message(stream: BinaryIO) -> tuple[bytes, bytes] | None:
    """The next ``(tag, payload)`` from ``stream`` (``None`` at end of stream)."""
    head = _read_exact(stream, HEADER.size)
    if head is None:
        return None
    tag, length = HEADER.unpack(head)
    payload = _read_exact(stream, length) if length else b""
    return None if payload is None else (tag, payload)


def _send(out: BinaryIO, tag: bytes, body: dict[str, Any]) -> None:
    payload = json.dumps(body).encode()
    out.write(HEADER.pack(tag, len(payload)) + payload)
    out.flush()


def _hang() -> None:
    threading.Event().wait()  # as a hung SVT-AV1 call: never returns, uses no CPU


def _encode_episode(av: Any, np: Any, header: dict[str, Any], inp: BinaryIO, out: BinaryIO) -> None:
    hang = header.get("hang")
    width, height, fps = int(header["width"]), int(header["height"]), int(header["fps"])
    in_format = header.get("in_format", "rgb24")
    shape = (height * 3 // 2, width) if in_format == "yuv420p" else (height, width, 3)
    container = av.open(header["path"], "w", format="mp4")
    try:
        stream = container.add_stream(header["vcodec"], rate=fps, options=header["options"])
        stream.pix_fmt = header["pix_fmt"]
        stream.width, stream.height = width, height
        stream.time_base = Fraction(1, fps)
        if hang == "open":
            _hang()
        stream.codec_context.open()
        _send(out, b"K", {})
        index = 0
        while True:
            message = read_message(inp)
            if message is None:
                raise EOFError("the parent closed the pipe mid-episode")
            tag, payload = message
            if tag == b"E":
                break
            if tag != b"F":
                raise ValueError(f"unexpected message {tag!r} in an episode")
            if hang == f"frame:{index}":
                _hang()
            pixels = np.frombuffer(payload, np.uint8).reshape(shape)
            frame = av.VideoFrame.from_ndarray(pixels, format=in_format)
            frame.pts = index
            frame.time_base = Fraction(1, fps)
            for packet in stream.encode(frame):
                container.mux(packet)
            index += 1
        if hang == "flush":
            _hang()
        for packet in stream.encode(None):
            container.mux(packet)
    except BaseException:
        with contextlib.suppress(Exception):  # the first error is the one to report
            container.close()
        raise
    container.close()
    _send(out, b"D", {"frames": index})


def _exit_with_parent() -> None:
    """End this process when its parent is gone (a hung encoder never sees stdin close)."""
    parent = os.getppid()
    while True:
        time.sleep(1.0)
        if os.getppid() != parent:
            os._exit(3)


def main() -> None:
    """Serve episodes until stdin closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the recorder's to handle
    threading.Thread(target=_exit_with_parent, daemon=True).start()
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # anything the C libraries print goes to stderr, not into the protocol
    sys.stdout = sys.stderr
    os.environ.setdefault("SVT_LOG", "1")
    import av
    import numpy as np

    inp = sys.stdin.buffer
    _send(out, b"R", {})
    while True:
        message = read_message(inp)
        if message is None:
            return
        tag, payload = message
        try:
            if tag != b"O":
                raise ValueError(f"expected an episode header, got {tag!r}")
            _encode_episode(av, np, json.loads(payload), inp, out)
        except Exception as exc:  # reported to the parent, which gives this process up
            _send(out, b"X", {"error": f"{type(exc).__name__}: {exc}"})
            return


if __name__ == "__main__":
    main()
