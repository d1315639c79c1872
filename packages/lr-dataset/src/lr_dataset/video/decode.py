"""Decoding video: frames by timestamp from MP4 files, frame-accurately.

:class:`VideoDecoder` keeps a few containers open, seeks to the keyframe before the earliest
wanted time and decodes forward; only the returned frames are converted to RGB, straight to
channels-first when asked (:func:`write_chw_rgb`).
"""

from __future__ import annotations

import contextlib
import os
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np

from lr_dataset.errors import FrameTimestampError
from lr_dataset.video.pyav import import_av


class VideoDecoder:
    """Decode frames by timestamp from MP4 files, keeping a few containers open (LRU).

    One instance per process (DataLoader workers each build their own after fork). ``threads``
    is the decoder's thread count; 1 (the default) is fastest for random access, because
    frame-threaded decoding pays a pipeline flush on every seek.
    """

    def __init__(self, max_open: int = 16, threads: int = 1) -> None:
        self.max_open = max_open
        self.threads = threads
        self._open: OrderedDict[str, Any] = OrderedDict()
        self._pid = os.getpid()
        self._reformatter: Any = None  # one swscale context, reused across frames

    def _container(self, path: Path) -> Any:
        if self._pid != os.getpid():  # forked: never share libav state across processes
            self._open = OrderedDict()
            self._reformatter = None
            self._pid = os.getpid()
        key = str(path)
        container = self._open.pop(key, None)
        if container is None:
            av = import_av()
            container = av.open(key)
            stream = container.streams.video[0]
            stream.thread_type = "AUTO" if self.threads != 1 else "SLICE"
            if self.threads:
                stream.codec_context.thread_count = self.threads
            while len(self._open) >= self.max_open:
                _, old = self._open.popitem(last=False)
                with contextlib.suppress(Exception):
                    old.close()
        self._open[key] = container
        return container

    def __getstate__(self) -> dict[str, Any]:
        # open libav containers cannot cross a process boundary; workers reopen them
        return {"max_open": self.max_open, "threads": self.threads}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(**state)

    def close(self) -> None:
        """Close every open file."""
        for container in self._open.values():
            with contextlib.suppress(Exception):
                container.close()
        self._open.clear()

    def decode(
        self,
        path: Path,
        timestamps: list[float],
        tolerance_s: float,
        *,
        what: str = "",
        channels_first: bool = False,
    ) -> np.ndarray:
        """uint8 ``(len(timestamps), H, W, 3)`` frames nearest each timestamp (seconds).

        ``channels_first=True`` gives ``(len(timestamps), 3, H, W)`` straight from a planar RGB
        conversion (no transpose copy).

        Seeks to the keyframe at or before the earliest timestamp and decodes forward; only the
        frames that are returned are converted to RGB. A timestamp whose nearest frame is
        ``tolerance_s`` or further away raises :class:`FrameTimestampError` naming ``what``.
        """
        container = self._container(path)
        stream = container.streams.video[0]
        tb = float(stream.time_base)
        frame_s = 1.0 / float(stream.average_rate or stream.base_rate or 30)
        wanted = sorted(set(timestamps))
        found: dict[float, Any] = {}
        best: dict[float, float] = {t: float("inf") for t in wanted}
        # timestamps more than a frame apart are fetched with separate seeks: with short GOPs
        # that decodes fewer frames than decoding the whole span
        groups: list[list[float]] = []
        for t in wanted:
            if groups and t - groups[-1][-1] <= 1.5 * frame_s:
                groups[-1].append(t)
            else:
                groups.append([t])
        decoded_any = False
        for group in groups:
            first, last = group[0], group[-1]
            container.seek(max(0, round(first / tb)), backward=True, any_frame=False, stream=stream)
            for frame in container.decode(stream):
                if frame.pts is None:
                    continue
                decoded_any = True
                ts = frame.pts * tb
                for t in group:
                    d = abs(ts - t)
                    if d < best[t]:
                        best[t] = d
                        found[t] = frame
                if ts >= last - tolerance_s:
                    break
        if not decoded_any:
            raise FrameTimestampError(f"{what}: no frame could be decoded from {path}")
        bad = [t for t in wanted if best[t] >= tolerance_s]
        if bad:
            raise FrameTimestampError(
                f"{what}: no video frame within tolerance_s={tolerance_s} of time(s) "
                f"{[round(t, 6) for t in bad]} s in {path} (closest is "
                f"{min(best[t] for t in bad):.6f} s away); the video and the data parquet are "
                f"out of sync"
            )
        if not channels_first:
            rgb: dict[int, np.ndarray] = {}
            for t in set(timestamps):
                frame = found[t]
                if id(frame) not in rgb:
                    rgb[id(frame)] = frame.to_ndarray(format="rgb24")
            return np.stack([rgb[id(found[t])] for t in timestamps])
        # planar RGB written straight into the output: no per-frame array, no stacking copy
        first_frame = found[timestamps[0]]
        out = np.empty((len(timestamps), 3, first_frame.height, first_frame.width), np.uint8)
        written: dict[int, int] = {}
        for i, t in enumerate(timestamps):
            frame = found[t]
            j = written.get(id(frame))
            if j is None:
                self._planar_rgb(frame, out[i])
                written[id(frame)] = i
            else:
                out[i] = out[j]
        return out

    def _planar_rgb(self, frame: Any, out: np.ndarray) -> None:
        """Write the uint8 ``(3, H, W)`` RGB of a decoded frame into ``out``, through one
        cached swscale context."""
        if self._reformatter is None:
            from av.video.reformatter import VideoReformatter

            self._reformatter = VideoReformatter()
        write_chw_rgb(frame, out, self._reformatter)


def write_chw_rgb(frame: Any, out: np.ndarray, reformatter: Any) -> None:
    """Write a decoded frame's RGB into ``out`` (uint8 ``(3, H, W)``): the values of
    ``frame.to_ndarray(format="rgb24")``, channels first.

    Widths that are a multiple of 16 convert straight to planar GBR (4x cheaper than rgb24 plus
    a transpose); swscale's planar output is wrong for other widths (``width % 16`` in 2..8
    garbles the row ends), which take the rgb24 path. ``threads=1``: swscale's default thread
    pool would not survive a fork (a DataLoader worker forked after the main process decoded
    a frame hung in it), and per-frame conversion gains nothing from threads in workers that
    already fill the cores.
    """
    h, w = frame.height, frame.width
    if w % 16 == 0:
        gbr = reformatter.reformat(frame, format="gbrp", threads=1)
        for channel, plane_index in ((0, 2), (1, 0), (2, 1)):  # planes are G, B, R
            plane = gbr.planes[plane_index]
            out[channel] = np.frombuffer(plane, np.uint8).reshape(h, plane.line_size)[:, :w]
        return
    rgb = reformatter.reformat(frame, format="rgb24", threads=1)
    plane = rgb.planes[0]
    rows = np.frombuffer(plane, np.uint8).reshape(h, plane.line_size)[:, : 3 * w]
    out[...] = rows.reshape(h, w, 3).transpose(2, 0, 1)
