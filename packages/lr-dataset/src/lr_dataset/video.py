"""MP4 video with PyAV: encoder settings, background episode encoding, shared-file appends,
stream probing and frame-accurate decoding by timestamp.

Defaults match LeRobot's ``RGBEncoderConfig``: AV1 through ``libsvtav1``, ``yuv420p``, GOP 2,
CRF 30, preset 12. ``h264`` (libx264) is the other common choice. Episodes are encoded into a
temporary MP4 while they are recorded, then appended to the camera's shared MP4 by stream copy
(no re-encode); the episode's span in that file is ``[from_timestamp, to_timestamp)`` seconds.
"""

from __future__ import annotations

import contextlib
import functools
import io
import logging
import os
import queue
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from lr_core.fileio import atomic_path, fsync_dir, fsync_file
from lr_dataset.errors import FrameTimestampError, VideoEncoderError
from lr_dataset.stats import ImageStats

logger = logging.getLogger(__name__)

#: codec names accepted as aliases (LeRobot writes the stream's canonical name "av1").
CODEC_ALIASES = {"av1": "libsvtav1", "libx264": "h264"}
LIBSVTAV1_DEFAULT_PRESET = 12


def _av() -> Any:
    # SVT-AV1 prints its configuration banner on stderr for every file unless told otherwise.
    os.environ.setdefault("SVT_LOG", "1")
    import av

    return av


@dataclass
class VideoEncoderConfig:
    """Encoder settings; stored in ``info.json`` as ``video.<field>`` entries.

    ``vcodec``: ``"libsvtav1"`` (default, alias ``"av1"``), ``"h264"``, ``"hevc"`` or any encoder
    PyAV's FFmpeg offers. ``g``: keyframe interval (frames). ``crf``: quality (lower = better).
    ``preset``: codec speed preset (12 for libsvtav1 when ``None``).
    """

    vcodec: str = "libsvtav1"
    pix_fmt: str = "yuv420p"
    g: int | None = 2
    crf: int | float | None = 30
    preset: int | str | None = None
    fast_decode: int = 0
    video_backend: str = "pyav"
    extra_options: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.vcodec = CODEC_ALIASES.get(self.vcodec, self.vcodec)
        if self.preset is None and self.vcodec == "libsvtav1":
            self.preset = LIBSVTAV1_DEFAULT_PRESET

    def check_available(self) -> None:
        """Raise :class:`VideoEncoderError` when PyAV's FFmpeg lacks this encoder."""
        av = _av()
        try:
            codec = av.codec.Codec(self.vcodec, "w")
        except Exception as exc:
            wanted = ["libsvtav1", "h264", "libx264", "hevc", "libx265", "libaom-av1", "mpeg4"]
            have = sorted(c for c in wanted if _has_encoder(c))
            raise VideoEncoderError(
                f"video encoder {self.vcodec!r} is not available in this PyAV build "
                f"(av {av.__version__}); available: {have}. Pass "
                f"video_encoder=VideoEncoderConfig(vcodec=...) with one of them"
            ) from exc
        if codec.type != "video":
            raise VideoEncoderError(f"{self.vcodec!r} is a {codec.type} codec, not a video encoder")

    def refuses_size(self, width: int, height: int) -> str | None:
        """Why this encoder cannot encode ``width x height`` frames (``None`` when it can).

        Found by encoding one black frame into memory (a few ms; cached): the rules differ per
        encoder (``h264`` wants even sizes in yuv420p, ``libsvtav1`` at least 4 px...).
        """
        return _trial_encode(
            self.vcodec, self.pix_fmt, _freeze(self.codec_options(1)), width, height
        )

    def codec_options(self, threads: int | None = None) -> dict[str, str]:
        """FFmpeg options for ``add_stream`` (strings), as LeRobot maps them."""
        opts: dict[str, Any] = {}
        if self.g is not None:
            opts["g"] = self.g
        if self.vcodec == "libsvtav1":
            if self.crf is not None:
                opts["crf"] = self.crf
            if self.preset is not None:
                opts["preset"] = self.preset
            params = [f"fast-decode={max(0, min(2, self.fast_decode))}"]
            if threads is not None:
                params.append(f"lp={threads}")
            opts["svtav1-params"] = ":".join(params)
        elif self.vcodec in ("h264", "hevc", "libx265"):
            if self.crf is not None:
                opts["crf"] = self.crf
            if self.preset is not None:
                opts["preset"] = self.preset
            if self.fast_decode:
                opts["tune"] = "fastdecode"
            if threads is not None:
                opts["threads"] = threads
        elif self.crf is not None:
            opts["crf"] = self.crf
        for key, value in self.extra_options.items():
            opts.setdefault(key, value)
        return {k: str(v) for k, v in opts.items()}

    def info_fields(self) -> dict[str, Any]:
        """The ``video.<field>`` entries LeRobot adds to a video feature's ``info``."""
        return {
            "video.g": self.g,
            "video.crf": self.crf,
            "video.preset": self.preset,
            "video.fast_decode": self.fast_decode,
            "video.video_backend": self.video_backend,
            "video.extra_options": dict(self.extra_options),
        }

    @classmethod
    def from_info(cls, info: dict[str, Any] | None) -> VideoEncoderConfig:
        """The settings recorded in a feature's ``info`` (defaults where absent)."""
        info = info or {}
        kwargs: dict[str, Any] = {}
        if info.get("video.codec"):
            kwargs["vcodec"] = info["video.codec"]
        if info.get("video.pix_fmt"):
            kwargs["pix_fmt"] = info["video.pix_fmt"]
        for name in ("g", "crf", "preset", "fast_decode", "extra_options"):
            if info.get(f"video.{name}") is not None:
                kwargs[name] = info[f"video.{name}"]
        return cls(**kwargs)


def _freeze(options: dict[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(options.items()))


@functools.lru_cache(maxsize=256)
def _trial_encode(
    vcodec: str, pix_fmt: str, options: tuple[tuple[str, str], ...], width: int, height: int
) -> str | None:
    av = _av()
    try:
        with av.open(io.BytesIO(), "w", format="mp4") as out:
            stream = out.add_stream(vcodec, rate=30, options=dict(options))
            stream.width, stream.height, stream.pix_fmt = width, height, pix_fmt
            stream.time_base = Fraction(1, 30)
            frame = av.VideoFrame.from_ndarray(np.zeros((height, width, 3), np.uint8), "rgb24")
            frame.pts = 0
            for packet in stream.encode(frame):
                out.mux(packet)
            for packet in stream.encode():
                out.mux(packet)
    except Exception as exc:  # the encoder's own words (FFmpeg/PyAV errors vary by build)
        return f"{type(exc).__name__}: {exc}"
    return None


def _has_encoder(name: str) -> bool:
    av = _av()
    try:
        av.codec.Codec(name, "w")
        return True
    except Exception:
        return False


def available_encoders() -> list[str]:
    """Video encoders of interest that PyAV's FFmpeg offers here."""
    names = ["libsvtav1", "h264", "libx264", "hevc", "libx265", "libaom-av1", "mpeg4"]
    return [n for n in names if _has_encoder(n)]


# ---------------------------------------------------------------------------------- encoding
_STOP = object()


class EpisodeEncoder:
    """Encode one camera's frames into ``path`` on a background thread.

    :meth:`put` queues a uint8 ``(H, W, 3)`` frame (blocking when ``max_queue`` frames are
    waiting: frames are never dropped); :meth:`finish` flushes and returns the per-channel
    stats. PyAV releases the GIL while encoding, so recording continues meanwhile.
    """

    def __init__(
        self,
        path: Path,
        fps: int,
        config: VideoEncoderConfig,
        *,
        max_queue: int = 120,
        threads: int | None = None,
        compute_stats: bool = True,
    ) -> None:
        self.path = path
        self.fps = fps
        self.config = config
        self.threads = threads
        self.frames = 0
        self.stall_s = 0.0
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=max_queue)
        self._stats = ImageStats() if compute_stats else None
        self._error: BaseException | None = None
        self._thread = threading.Thread(
            target=self._run, name=f"lr-encode-{path.name}", daemon=True
        )
        self._thread.start()

    def put(self, frame_hwc: np.ndarray) -> None:
        """Queue one frame (copied by the caller if its buffer is reused)."""
        if self._error is not None:
            raise VideoEncoderError(f"encoding {self.path} failed: {self._error}") from self._error
        try:
            self._queue.put_nowait(frame_hwc)
        except queue.Full:
            import time

            start = time.perf_counter()
            self._queue.put(frame_hwc)
            self.stall_s += time.perf_counter() - start
        self.frames += 1

    def _run(self) -> None:
        av = _av()
        container = None
        stream = None
        index = 0
        try:
            while True:
                item = self._queue.get()
                if item is _STOP:
                    break
                if container is None:
                    h, w = item.shape[:2]
                    self.path.parent.mkdir(parents=True, exist_ok=True)
                    container = av.open(str(self.path), "w", format="mp4")
                    stream = container.add_stream(
                        self.config.vcodec,
                        rate=self.fps,
                        options=self.config.codec_options(self.threads),
                    )
                    stream.pix_fmt = self.config.pix_fmt
                    stream.width = w
                    stream.height = h
                    stream.time_base = Fraction(1, self.fps)
                frame = av.VideoFrame.from_ndarray(item, format="rgb24")
                frame.pts = index
                frame.time_base = Fraction(1, self.fps)
                for packet in stream.encode(frame):
                    container.mux(packet)
                if self._stats is not None:
                    self._stats.update(item)
                index += 1
            if stream is not None:
                for packet in stream.encode():
                    container.mux(packet)
        except BaseException as exc:  # reported to the recording thread on put/finish
            self._error = exc
            with contextlib.suppress(Exception):
                while True:
                    self._queue.get_nowait()
        finally:
            if container is not None:
                with contextlib.suppress(Exception):
                    container.close()

    def finish(self) -> dict[str, np.ndarray] | None:
        """Flush the encoder, close the file and return the stats (``None`` if no frame)."""
        self._queue.put(_STOP)
        self._thread.join()
        if self._error is not None:
            raise VideoEncoderError(f"encoding {self.path} failed: {self._error}") from self._error
        if self.frames == 0 or self._stats is None:
            return None
        with open(self.path, "rb") as handle:
            os.fsync(handle.fileno())
        return self._stats.result()

    def cancel(self) -> None:
        """Stop encoding and delete the partial file."""
        with contextlib.suppress(Exception):
            while True:
                self._queue.get_nowait()
        self._queue.put(_STOP)
        self._thread.join()
        self.path.unlink(missing_ok=True)


# ---------------------------------------------------------------------------------- files
def probe(path: Path) -> dict[str, Any]:
    """``video.*`` fields of ``path`` as LeRobot records them (height, width, codec, ...)."""
    av = _av()
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        info = {
            "video.height": stream.height,
            "video.width": stream.width,
            "video.codec": stream.codec_context.codec.canonical_name
            if hasattr(stream.codec_context.codec, "canonical_name")
            else stream.codec_context.name,
            "video.pix_fmt": stream.pix_fmt or stream.codec_context.pix_fmt,
            "video.fps": int(stream.base_rate or stream.average_rate),
            "video.channels": 1 if (stream.pix_fmt or "").startswith("gray") else 3,
            "has_audio": len(container.streams.audio) > 0,
        }
    return info


def duration_s(path: Path) -> float:
    """Duration of the first video stream in seconds (LeRobot's definition)."""
    av = _av()
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        if stream.duration is not None:
            return float(stream.duration * stream.time_base)
        return float(container.duration / av.time_base)


def append_episode(shared: Path, episode: Path) -> tuple[float, float]:
    """Append ``episode`` to ``shared`` (created when absent) by stream copy, atomically.

    Returns the episode's ``(from_timestamp, to_timestamp)`` inside ``shared``. The new
    ``shared`` is written to a temporary file, fsynced and renamed over the old one, so a crash
    leaves either the old file or the new one. ``episode`` is removed.
    """
    shared.parent.mkdir(parents=True, exist_ok=True)
    ep_duration = duration_s(episode)
    if not shared.exists():
        fsync_file(episode)
        os.replace(episode, shared)
        fsync_dir(shared.parent)
        return 0.0, ep_duration
    start = duration_s(shared)
    with atomic_path(shared) as tmp:
        _concat([shared, episode], tmp)
    episode.unlink(missing_ok=True)
    return start, start + ep_duration


def _concat(inputs: list[Path], output: Path) -> None:
    """Remux ``inputs`` (same codec/size) one after the other into ``output``."""
    av = _av()
    with av.open(str(output), "w", format="mp4", options={"movflags": "faststart"}) as out:
        out_stream = None
        offset = 0  # in the output time base
        last_dts: int | None = None
        for path in inputs:
            with av.open(str(path)) as src:
                in_stream = src.streams.video[0]
                if out_stream is None:
                    out_stream = out.add_stream_from_template(in_stream, opaque=True)
                    out_stream.time_base = in_stream.time_base
                tb_ratio = Fraction(in_stream.time_base) / Fraction(out_stream.time_base)
                shift = None
                max_end = offset
                for packet in src.demux(in_stream):
                    if packet.dts is None:
                        continue
                    pts = int(packet.pts * tb_ratio) if packet.pts is not None else None
                    dts = int(packet.dts * tb_ratio)
                    if shift is None:
                        shift = offset
                        if last_dts is not None and dts + shift <= last_dts:
                            shift = last_dts + 1 - dts
                    packet.pts = None if pts is None else pts + shift
                    packet.dts = dts + shift
                    last_dts = packet.dts
                    dur = int((packet.duration or 0) * tb_ratio)
                    if packet.pts is not None:
                        max_end = max(max_end, packet.pts + dur)
                    packet.stream = out_stream
                    out.mux(packet)
                if in_stream.duration is not None:
                    offset = offset + int(in_stream.duration * tb_ratio)
                else:
                    offset = max_end


# ---------------------------------------------------------------------------------- decoding
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
            av = _av()
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
