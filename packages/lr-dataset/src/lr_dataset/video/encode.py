"""Encoding video: encoder settings and the background encoder of one camera's episode.

Defaults match LeRobot's ``RGBEncoderConfig``: AV1 through ``libsvtav1``, ``yuv420p``, GOP 2,
CRF 30, preset 12. ``h264`` (libx264) is the other common choice. Each episode is encoded into
a temporary MP4 while it is recorded (:class:`EpisodeEncoder`), then appended to the camera's
shared MP4 by stream copy (:mod:`lr_dataset.video.files`).
"""

from __future__ import annotations

import contextlib
import functools
import io
import os
import queue
import threading
import time
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from lr_dataset.errors import VideoEncoderError
from lr_dataset.stats import ImageStats
from lr_dataset.video.encoder_gate import GatedEncoding, gate_for
from lr_dataset.video.pyav import import_av

#: codec names accepted as aliases (LeRobot writes the stream's canonical name "av1").
CODEC_ALIASES = {"av1": "libsvtav1", "libx264": "h264"}
LIBSVTAV1_DEFAULT_PRESET = 12


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
        av = import_av()
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
    from lr_dataset.video.encoder_process import PROCESS_CODECS

    if vcodec in PROCESS_CODECS:
        return _trial_encode_in_child(vcodec, pix_fmt, dict(options), width, height)
    av = import_av()
    what = f"a {width}x{height} trial frame"
    try:
        with GatedEncoding(vcodec, what) as gated:
            out = av.open(io.BytesIO(), "w", format="mp4")
            try:
                stream = out.add_stream(vcodec, rate=30, options=dict(options))
                stream.width, stream.height, stream.pix_fmt = width, height, pix_fmt
                stream.time_base = Fraction(1, 30)
                gated.open(stream)
                pixels = np.zeros((height, width, 3), np.uint8)
                frame = av.VideoFrame.from_ndarray(pixels, "rgb24")
                frame.pts = 0
                for packet in gated.encode(stream, frame):
                    out.mux(packet)
                for packet in gated.encode(stream, None):
                    out.mux(packet)
            finally:
                gated.close(out)
    except VideoEncoderError:
        raise  # the gate: not an answer about this size
    except Exception as exc:  # the encoder's own words (FFmpeg/PyAV errors vary by build)
        return f"{type(exc).__name__}: {exc}"
    return None


def _trial_encode_in_child(
    vcodec: str, pix_fmt: str, options: dict[str, str], width: int, height: int
) -> str | None:
    """The trial in an encoder process (the process later episodes reuse): a hang there is
    tried again in a fresh process (3 times), a refusal is the answer."""
    import tempfile
    from types import SimpleNamespace

    from lr_dataset.video.encoder_process import ProcessEpisodeEncoder

    config = SimpleNamespace(vcodec=vcodec, pix_fmt=pix_fmt, codec_options=lambda _: options)
    with tempfile.TemporaryDirectory(prefix="lr-trial-") as tmp:
        for _ in range(3):
            encoder = ProcessEpisodeEncoder(
                Path(tmp) / "trial.mp4", 30, config, compute_stats=False, retries=0
            )
            encoder.put(np.zeros((height, width, 3), np.uint8))
            try:
                encoder.finish()
                return None
            except VideoEncoderError:
                if not encoder.hung:
                    return encoder.failures[-1]
    raise VideoEncoderError(
        f"{vcodec}: encoding a {width}x{height} trial frame hung in 3 encoder processes"
    )


def _has_encoder(name: str) -> bool:
    av = import_av()
    try:
        av.codec.Codec(name, "w")
        return True
    except Exception:
        return False


def available_encoders() -> list[str]:
    """Video encoders of interest that PyAV's FFmpeg offers here."""
    names = ["libsvtav1", "h264", "libx264", "hevc", "libx265", "libaom-av1", "mpeg4"]
    return [n for n in names if _has_encoder(n)]


_STOP = object()


@contextlib.contextmanager
def _nothing() -> Any:
    yield


#: seconds one call into an encoder (open, one frame, the flush, close) or one wait at the
#: encoder gate may take before the encoder counts as hung (generous: a frame takes milliseconds,
#: a flush well under a second, on a loaded 2-core machine too)
ENCODER_WATCHDOG_S = 120.0


class EpisodeEncoder:
    """Encode one camera's frames into ``path`` on a background thread.

    :meth:`put` queues a uint8 ``(H, W, 3)`` frame (blocking when ``max_queue`` frames are
    waiting: frames are never dropped); :meth:`finish` flushes and returns the per-channel
    stats. PyAV releases the GIL while encoding, so recording continues meanwhile.

    ``libsvtav1`` encoders pass the process-wide :data:`~lr_dataset.video.encoder_gate.SVT_AV1_GATE`
    (SVT-AV1 MR 2603: encoders opened or closed while another has frames in flight may hang): the
    encoder announces itself here, in the creating thread, so create every encoder of an
    episode before putting frames into any, and :meth:`stop` them all before :meth:`finish`.

    Watchdog: a call into the encoder (open, a frame, the flush, close) or a gate wait that lasts
    ``watchdog_s`` makes :meth:`put`, :meth:`finish` and :meth:`cancel` raise
    :class:`VideoEncoderError` naming the file, the codec and the step, instead of waiting
    forever; the stuck thread is left behind (a daemon; a call into FFmpeg cannot be
    interrupted) and the partial file is kept.
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
        size: tuple[int, int] | None = None,
        watchdog_s: float = ENCODER_WATCHDOG_S,
    ) -> None:
        self.path = path
        #: ``(height, width)`` known in advance: the encoder is opened at once, in the
        #: background, instead of at the first frame (opening libsvtav1 holds the GIL for
        #: ~20 ms at 640x480: a stall the first tick of a recording loop would pay)
        self.size = size
        #: set once the encoder is open (at start with ``size``, else at the first frame)
        self.opened = threading.Event()
        self.fps = fps
        self.config = config
        self.threads = threads
        self.watchdog_s = watchdog_s
        self.frames = 0
        self.stall_s = 0.0
        #: raw frames kept after a failure (never: a thread encoder keeps none; see
        #: :class:`~lr_dataset.video.encoder_process.ProcessEpisodeEncoder`)
        self.spool_path: Path | None = None
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=max_queue)
        self._stats = ImageStats() if compute_stats else None
        self._error: BaseException | None = None
        self._stopped = False
        #: what the encoder thread is doing inside the encoder and since when (monotonic s)
        self._busy: tuple[str, float] | None = None
        self._hung: VideoEncoderError | None = None
        gate = gate_for(config.vcodec)
        self._ticket = gate.ticket() if gate is not None else None
        self._thread = threading.Thread(
            target=self._run, name=f"lr-encode-{path.name}", daemon=True
        )
        self._thread.start()

    # ------------------------------------------------------------------ recording thread
    def put(self, frame_hwc: np.ndarray) -> None:
        """Queue one frame (copied by the caller if its buffer is reused)."""
        self._raise_if_failed()
        try:
            self._queue.put_nowait(frame_hwc)
        except queue.Full:
            start = time.perf_counter()
            self._put_waiting(frame_hwc)
            self.stall_s += time.perf_counter() - start
        self.frames += 1

    def _put_waiting(self, item: Any) -> None:
        while True:
            try:
                self._queue.put(item, timeout=0.5)
                return
            except queue.Full:
                self._raise_if_failed()

    @property
    def hung(self) -> bool:
        """The watchdog gave this encoder up (a call into it never returned)."""
        return self._hung is not None

    def stop(self, *, discard: bool = False) -> None:
        """Tell the encoder no frame will come (it flushes meanwhile; ``discard``: the frames
        still queued are dropped first); :meth:`finish` or :meth:`cancel` waits. Stop every
        encoder of a group before finishing one (see the class docstring)."""
        if discard and not self._stopped:
            self._drain()
        if not self._stopped:
            self._stopped = True
            if self._hung is None and self._thread.is_alive():
                self._put_waiting(_STOP)

    def finish(self) -> dict[str, np.ndarray] | None:
        """Flush the encoder, close the file and return the stats (``None`` if no frame).

        Raises:
            VideoEncoderError: encoding failed, or the encoder hung (watchdog).
        """
        self.stop()
        self._join()
        self._raise_if_failed()
        if self.frames == 0 or self._stats is None:
            return None
        with open(self.path, "rb") as handle:
            os.fsync(handle.fileno())
        return self._stats.result()

    def cancel(self) -> None:
        """Stop encoding and delete the partial file.

        Raises:
            VideoEncoderError: the encoder hung (its partial file is kept).
        """
        try:
            self.stop(discard=True)
            self._join()
        except VideoEncoderError:
            if self._hung is not None:
                raise  # the partial file stays for inspection
        self.path.unlink(missing_ok=True)

    def _drain(self) -> None:
        with contextlib.suppress(queue.Empty):
            while True:
                self._queue.get_nowait()

    def _join(self) -> None:
        """Wait for the encoder thread, raising :class:`VideoEncoderError` when it is stuck."""
        while self._thread.is_alive():
            self._thread.join(timeout=0.5)
            self._raise_if_failed()

    def _raise_if_failed(self) -> None:
        if self._hung is not None:
            raise self._hung
        if self._error is not None:
            raise VideoEncoderError(f"encoding {self.path} failed: {self._error}") from self._error
        busy = self._busy
        if busy is not None and time.monotonic() - busy[1] > self.watchdog_s:
            self._hung = VideoEncoderError(
                f"encoding {self.path} with {self.config.vcodec}: {busy[0]} has not returned "
                f"after {self.watchdog_s:.0f} s: the encoder is stuck (SVT-AV1 does that now "
                f"and then: docs/dataset.md, 'When the AV1 encoder hangs'). This episode's "
                f"video is incomplete and is not saved ({self.frames} frames were given); "
                f"episodes saved before it are intact. lr record: continue with "
                f"--resume=true, or record with --dataset.rgb_encoder.vcodec=h264"
            )
            if self._ticket is not None:  # its threads are blocked: the others may go on
                self._ticket.release()
            raise self._hung

    # ------------------------------------------------------------------ encoder thread
    def _call(self, what: str, fn: Any, *args: Any) -> Any:
        """``fn(*args)`` watched: ``what`` names the step in a watchdog error."""
        self._busy = (what, time.monotonic())
        try:
            return fn(*args)
        finally:
            self._busy = None

    def _open(self, av: Any, h: int, w: int) -> tuple[Any, Any]:
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
        ticket = self._ticket
        with ticket.opening(self.watchdog_s, f"opening {self.path}") if ticket else _nothing():
            self._call("opening the encoder", stream.codec_context.open)
        self.opened.set()
        return container, stream

    def _run(self) -> None:
        av = import_av()
        container = None
        stream = None
        ticket = self._ticket
        index = 0
        try:
            if self.size is not None:
                container, stream = self._open(av, *self.size)
            while True:
                item = self._queue.get()
                if item is _STOP:
                    break
                if container is None or stream is None:  # opened together, at the first frame
                    container, stream = self._open(av, *item.shape[:2])
                if index == 0 and ticket is not None:
                    ticket.start_encoding(self.watchdog_s, f"encoding {self.path}")
                frame = av.VideoFrame.from_ndarray(item, format="rgb24")
                frame.pts = index
                frame.time_base = Fraction(1, self.fps)
                with ticket.busy() if ticket else _nothing():
                    packets = self._call(f"encoding frame {index}", stream.encode, frame)
                for packet in packets:
                    container.mux(packet)
                if self._stats is not None:
                    self._stats.update(item)
                index += 1
            if stream is not None and container is not None:
                with ticket.busy() if ticket else _nothing():
                    packets = self._call("the flush", stream.encode)
                for packet in packets:
                    container.mux(packet)
                self._close(container)
                container = None
        except BaseException as exc:  # reported to the recording thread on put/finish
            self._error = exc
            self.opened.set()
            with contextlib.suppress(Exception):
                while True:
                    self._queue.get_nowait()
        finally:
            if container is not None:
                with contextlib.suppress(Exception):
                    self._close(container)
            if ticket is not None:
                ticket.release()

    def _close(self, container: Any) -> None:
        """Close the file (SVT-AV1's deinit: through the gate while the ticket holds a place)."""
        ticket = self._ticket
        if ticket is None or not ticket.holds_open_encoder:
            self._call("closing the file", container.close)
            return
        with ticket.closing(self.watchdog_s, f"closing {self.path}"):
            self._call("closing the file", container.close)
