"""Frames from anything FFmpeg opens, through PyAV: a camera device, a network stream, a file.

:class:`AVSource` opens an input (``av.open(url, format=..., options=...)``), decodes its first
video stream and converts each frame to a ``(H, W, 3)`` uint8 array with one cached swscale
context (``rgb24`` or ``bgr24`` straight from the decoder's pixel format, scaled if asked).

- A *live* input (a device, ``lavfi``, a network stream) hands frames over as the decoder
  produces them; decoding uses slice threads only, since frame threads would hold back
  several frames of latency.
- A *file* is paced by its presentation timestamps, so it plays at its own rate like a camera;
  at the end it starts again (``loop``) or raises :class:`EndOfStream`.

Errors from FFmpeg are ``av.error.FFmpegError`` subclasses (also ``OSError``), raised as is.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping
from fractions import Fraction
from typing import Any

import numpy as np

from lr_core.errors import require
from lr_robots.cameras.threaded import EndOfStream


def import_av() -> Any:
    """The ``av`` module, or :class:`MissingDependencyError` naming ``lr-robots[av]``."""
    return require("av", "av", "lr-robots")


class AVSource:
    """One opened input and its first video stream (see the module docstring).

    Args:
        url: what ``av.open`` takes: a device (``/dev/video0``, ``0`` on macOS), a filter
            graph (with ``input_format="lavfi"``), a file path or a network URL.
        input_format: FFmpeg input format (``v4l2``, ``avfoundation``, ``lavfi``...); ``None``
            lets FFmpeg guess from the URL.
        options: FFmpeg input options (``{"video_size": "640x480", "framerate": "30"}``).
        live: hand frames over as they come (``True``) or pace them by timestamp (files).
        loop: for files, start again at the end instead of raising :class:`EndOfStream`.
        timeout_s: limit for opening and for each read of a network input (s).
    """

    def __init__(
        self,
        url: str,
        input_format: str | None = None,
        options: Mapping[str, str] | None = None,
        *,
        live: bool = True,
        loop: bool = False,
        timeout_s: float = 5.0,
    ) -> None:
        av = import_av()
        self.url = url
        self.live = live
        self.loop = loop
        self.container = av.open(
            url,
            format=input_format,
            options=dict(options or {}),
            timeout=(timeout_s, timeout_s),
        )
        try:
            if not self.container.streams.video:
                raise ValueError(f"{url} has no video stream")
            self.stream = self.container.streams.video[0]
            self.stream.thread_type = "SLICE" if live else "AUTO"
        except BaseException:
            self.container.close()
            raise
        from av.video.reformatter import VideoReformatter

        self._reformatter = VideoReformatter()
        self._frames: Iterator[Any] | None = None
        self._clock_origin: float | None = None
        self._pts_origin = 0.0
        self._last_pts = 0.0
        self._closed = False
        self._stop = threading.Event()

    @property
    def width(self) -> int:
        """Frame width of the stream (px)."""
        return int(self.stream.codec_context.width)

    @property
    def height(self) -> int:
        """Frame height of the stream (px)."""
        return int(self.stream.codec_context.height)

    @property
    def rate(self) -> Fraction | None:
        """The stream's frame rate (frames/s), if FFmpeg knows it."""
        rate = self.stream.average_rate or self.stream.guessed_rate or self.stream.base_rate
        return Fraction(rate) if rate else None

    @property
    def pixel_format(self) -> str | None:
        """The decoder's output pixel format (``yuyv422``, ``yuvj422p``...)."""
        fmt = self.stream.codec_context.pix_fmt
        return str(fmt) if fmt else None

    def _decoded(self) -> Iterator[Any]:
        while True:
            yield from self.container.decode(self.stream)
            if not self.loop or self.live:
                return
            self.container.seek(0, stream=self.stream)
            self._pts_origin += self._last_pts + self._frame_period()

    def _frame_period(self) -> float:
        rate = self.rate
        return float(1 / rate) if rate else 0.0

    def stop(self) -> None:
        """Wake a reader waiting to pace a file frame (another thread may call this)."""
        self._stop.set()

    def next_frame(
        self, color: str = "rgb24", width: int | None = None, height: int | None = None
    ) -> np.ndarray:
        """The next frame as ``(H, W, 3)`` uint8 in ``color`` (``rgb24``/``bgr24``), scaled to
        ``width x height`` when given; files wait for their timestamp first.

        Raises:
            EndOfStream: the input has ended (files without ``loop``, or a live stream closed).
        """
        if self._frames is None:
            self._frames = self._decoded()
        try:
            frame = next(self._frames)
        except StopIteration:
            raise EndOfStream(f"{self.url} has no more frames") from None
        if not self.live:
            self._pace(frame)
        out = self._reformatter.reformat(frame, format=color, width=width, height=height, threads=1)
        return out.to_ndarray()

    def _pace(self, frame: Any) -> None:
        pts = float(frame.time) if frame.time is not None else self._last_pts
        self._last_pts = pts
        t = self._pts_origin + pts
        now = time.perf_counter()
        if self._clock_origin is None:
            self._clock_origin = now - t
        delay = self._clock_origin + t - now
        if delay > 0:
            self._stop.wait(delay)

    def close(self) -> None:
        """Close the input (idempotent)."""
        if not self._closed:
            self._closed = True
            self._frames = None
            self.container.close()
