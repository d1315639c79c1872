"""The capture-thread camera every lr frame camera builds on (LeRobot 0.6.1's semantics).

A background thread reads frames from the source as fast as it delivers them and keeps only
the newest one. Callers then choose how fresh a frame they need:

- :meth:`ThreadedCamera.read_latest` returns the newest frame at once (a lock and a clock read,
  no copy); ``TimeoutError`` if it is older than ``max_age_ms``. Robots call this in
  ``get_observation``.
- :meth:`ThreadedCamera.async_read` returns the newest frame *not returned before* by
  ``async_read``, waiting up to ``timeout_ms`` for one: it paces a loop to the camera.
- :meth:`ThreadedCamera.read` waits for a frame captured after the call (up to 10 s).

Frames are ``(height, width, 3)`` uint8 in ``color_mode`` order, rotated by ``rotation``. The
array returned is shared with every other caller until the next frame replaces it: copy it
before changing it in place.

A subclass implements :meth:`_open` (open the source, fill in ``fps``/``width``/``height`` it
leaves ``None``), :meth:`_grab` (block until the next frame of the source and return it,
``(capture_height, capture_width, 3)`` uint8 in :attr:`source_color` order) and :meth:`_close`.
Unlike LeRobot, a capture thread that dies on repeated errors is not silent: the next read
raises :class:`~lr_robots.cameras.errors.CameraCaptureError` with the cause.

Source: LeRobot 0.6.1 ``lerobot/cameras/opencv/camera_opencv.py`` (names, defaults, errors).
"""

from __future__ import annotations

import logging
import threading
import time
from abc import abstractmethod
from typing import Any, ClassVar

import numpy as np

from lr_core.camera import Camera
from lr_core.errors import DeviceAlreadyConnectedError, DeviceNotConnectedError, LrError
from lr_robots.cameras.configs import ColorMode, Cv2Rotation, FrameCameraConfig
from lr_robots.cameras.errors import CameraCaptureError, CameraConnectionError
from lr_robots.cameras.frames import capture_size, check_frame, postprocess

logger = logging.getLogger(__name__)

#: Consecutive failed reads after which the capture thread gives up (LeRobot: 10).
MAX_CONSECUTIVE_FAILURES = 10
#: How long ``connect()`` waits for the first frame beyond ``warmup_s`` (s).
FIRST_FRAME_TIMEOUT_S = 5.0
#: How long ``read()`` waits for a new frame (ms), as LeRobot's ``read``.
READ_TIMEOUT_MS = 10_000


class EndOfStream(Exception):
    """Raised by :meth:`ThreadedCamera._grab` when a finite source has no more frames; the
    capture thread then stops quietly (the last frame stays readable until too old)."""


class ThreadedCamera(Camera):
    """A camera whose frames come from a background capture thread (module docstring)."""

    #: Channel order :meth:`_grab` returns; subclasses that can decode straight into the
    #: configured order set :attr:`source_color` per instance.
    source_color: ClassVar[ColorMode] = ColorMode.RGB
    #: How long ``disconnect()`` waits for the capture thread to leave :meth:`_grab` (s).
    shutdown_timeout_s: ClassVar[float] = 2.0

    def __init__(self, config: FrameCameraConfig) -> None:
        super().__init__(config)
        self.config: FrameCameraConfig = config
        self.color_mode = ColorMode(config.color_mode)
        self.rotation = Cv2Rotation(config.rotation)
        self.warmup_s = float(config.warmup_s)
        self._source_color: ColorMode = self.source_color
        self.capture_width: int | None = None
        self.capture_height: int | None = None

        self._cond = threading.Condition()
        self.latest_frame: np.ndarray | None = None
        #: ``time.perf_counter()`` when :attr:`latest_frame` was captured.
        self.latest_timestamp: float | None = None
        #: Frames captured since ``connect()``.
        self.frame_count = 0
        self._consumed = 0
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._error: BaseException | None = None
        self._ended = False
        self._open_done = False
        self._reset_settings()

    def __str__(self) -> str:
        return f"{type(self).__name__}({self._describe()})"

    def _describe(self) -> str:
        """What identifies this camera in messages (a path, an index, an address)."""
        return ""

    # ------------------------------------------------------------------ subclass hooks

    @abstractmethod
    def _open(self) -> None:
        """Open the source; set ``fps``/``width``/``height`` left ``None`` from it."""

    @abstractmethod
    def _grab(self) -> np.ndarray | None:
        """Block until the source's next frame; raise :class:`EndOfStream` at its end.

        ``None`` means "a capture without a colour frame" (a depth-only camera)."""

    def _publish(self) -> None:
        """Called with the frame lock held after each frame, to publish data that arrived
        with it (a depth map); the default does nothing."""

    def _close(self) -> None:
        """Release the source (also after a failed ``connect``; never while the capture thread
        is still inside :meth:`_grab`)."""

    def _set_source_size(self, width: int, height: int) -> None:
        """Fill in the returned ``width``/``height`` left ``None`` from the source's frame size
        (``width x height`` before rotation), for :meth:`_open`."""
        if self.width is None or self.height is None:
            self.width, self.height = capture_size(width, height, self.rotation)

    # ------------------------------------------------------------------ lifecycle

    @property
    def is_connected(self) -> bool:
        """Whether the camera is open and its capture thread was started."""
        return self._open_done

    def connect(self, warmup: bool = True) -> None:
        """Open the camera, start the capture thread and wait for the first frame.

        With ``warmup`` the call returns after ``warmup_s`` of frames (dropped: auto-exposure
        and white balance settle); it always waits for one frame, up to ``warmup_s`` + 5 s.

        Raises:
            DeviceAlreadyConnectedError: already connected.
            CameraConnectionError: the source cannot be opened or gives no frame in time.
            MissingDependencyError: the camera's optional extra is not installed.
        """
        if self._open_done:
            raise DeviceAlreadyConnectedError(f"{self} is already connected")
        self._reset_settings()
        self._stop = threading.Event()
        try:
            self._open()
        except LrError:  # already names the problem (missing extra, bad config, no device)
            self._safe_close()
            self._reset_settings()
            raise
        except Exception as exc:
            self._safe_close()
            self._reset_settings()
            raise CameraConnectionError(f"{self} cannot be opened: {exc}") from exc
        except BaseException:
            self._safe_close()
            self._reset_settings()
            raise
        self.capture_width, self.capture_height = capture_size(
            self.width, self.height, self.rotation
        )
        self._open_done = True
        try:
            self._start_thread()
            self._wait_first_frames(self.warmup_s if warmup else 0.0)
        except BaseException:
            self._shutdown()
            self._reset_settings()
            raise
        logger.info("%s connected (%sx%s @ %s fps)", self, self.width, self.height, self.fps)

    def disconnect(self) -> None:
        """Stop the capture thread and release the camera.

        Raises:
            DeviceNotConnectedError: not connected.
        """
        if not self._open_done:
            raise DeviceNotConnectedError(f"{self} is not connected")
        self._shutdown()
        self._reset_settings()
        logger.info("%s disconnected", self)

    def _reset_settings(self) -> None:
        self.fps = self.config.fps
        self.width = self.config.width
        self.height = self.config.height

    def _safe_close(self) -> None:
        try:
            self._close()
        except Exception:
            logger.exception("%s: error while closing", self)

    def _shutdown(self) -> None:
        self._stop.set()
        thread = self._thread
        if thread is not None and thread.is_alive():
            thread.join(timeout=self.shutdown_timeout_s)
        if thread is not None and thread.is_alive():
            # Never free a source under a native call still using it: leak it instead.
            logger.warning(
                "%s: capture thread still blocked in the source after %.0f s; leaving it open",
                self,
                self.shutdown_timeout_s,
            )
        else:
            self._safe_close()
        self._thread = None
        self._open_done = False
        with self._cond:
            self.latest_frame = None
            self.latest_timestamp = None

    def _start_thread(self) -> None:
        self._error = None
        self._ended = False
        with self._cond:
            self.latest_frame = None
            self.latest_timestamp = None
            self.frame_count = 0
            self._consumed = 0
        self._thread = threading.Thread(
            target=self._capture_loop, name=f"{self}-capture", daemon=True
        )
        self._thread.start()

    def _wait_first_frames(self, warmup_s: float) -> None:
        start = time.perf_counter()
        with self._cond:
            got = self._cond.wait_for(
                lambda: self.frame_count > 0 or self._error is not None or self._ended,
                timeout=warmup_s + FIRST_FRAME_TIMEOUT_S,
            )
            error = self._error
        if error is not None:
            raise CameraConnectionError(f"{self} failed while capturing: {error}") from error
        if not got or self.frame_count == 0:
            raise CameraConnectionError(
                f"{self} gave no frame within {warmup_s + FIRST_FRAME_TIMEOUT_S:.1f} s"
            )
        remaining = warmup_s - (time.perf_counter() - start)
        if remaining > 0:
            self._stop.wait(remaining)

    # ------------------------------------------------------------------ capture thread

    def _capture_loop(self) -> None:
        failures = 0
        stop = self._stop
        while not stop.is_set():
            try:
                raw = self._grab()
                frame = None
                if raw is not None:
                    check_frame(raw, self.capture_width, self.capture_height, str(self))
                    frame = postprocess(raw, self._source_color, self.color_mode, self.rotation)
            except EndOfStream:
                with self._cond:
                    self._ended = True
                    self._cond.notify_all()
                return
            except Exception as exc:
                if stop.is_set():
                    return
                failures += 1
                if failures > MAX_CONSECUTIVE_FAILURES:
                    with self._cond:
                        self._error = exc
                        self._cond.notify_all()
                    logger.error("%s: capture stopped after %d failed reads", self, failures)
                    return
                logger.warning("%s: read failed (%d in a row): %s", self, failures, exc)
                continue
            failures = 0
            now = time.perf_counter()
            with self._cond:
                self.latest_frame = frame
                self.latest_timestamp = now
                self.frame_count += 1
                self._publish()
                self._cond.notify_all()

    # ------------------------------------------------------------------ reading

    def _check_readable(self) -> None:
        if not self._open_done:
            raise DeviceNotConnectedError(f"{self} is not connected")
        if self._error is not None:
            raise CameraCaptureError(
                f"{self} stopped capturing after {MAX_CONSECUTIVE_FAILURES} failed reads: "
                f"{self._error}"
            ) from self._error

    def read(self) -> np.ndarray:
        """A frame captured after this call (blocks up to 10 s).

        Raises:
            DeviceNotConnectedError, CameraCaptureError, TimeoutError.
        """
        self._check_readable()
        with self._cond:
            self._consumed = self.frame_count
        return self.async_read(timeout_ms=READ_TIMEOUT_MS)

    def async_read(self, timeout_ms: float = 200) -> np.ndarray:
        """The newest frame not yet returned by ``async_read``/``read``, waiting up to
        ``timeout_ms`` for one.

        Raises:
            TimeoutError: no new frame in time (the source is slower than the caller, stalled,
                or at its end).
            DeviceNotConnectedError, CameraCaptureError.
        """
        self._check_readable()
        with self._cond:
            fresh = self._cond.wait_for(
                lambda: self.frame_count > self._consumed or self._error is not None,
                timeout=max(timeout_ms, 0) / 1000.0,
            )
            if fresh and self._error is None:
                self._consumed = self.frame_count
                frame = self.latest_frame
            else:
                frame = None
        if frame is None:
            self._check_readable()
            ended = " (the source has ended)" if self._ended else ""
            raise TimeoutError(f"{self}: no new frame within {timeout_ms} ms{ended}")
        return frame

    def read_latest(self, max_age_ms: float = 500) -> np.ndarray:
        """The newest frame, without waiting.

        Raises:
            TimeoutError: the newest frame is older than ``max_age_ms``.
            RuntimeError: no frame captured yet.
            DeviceNotConnectedError, CameraCaptureError.
        """
        self._check_readable()
        with self._cond:
            frame = self.latest_frame
            stamp = self.latest_timestamp
        if frame is None or stamp is None:
            raise RuntimeError(f"{self} has not captured any frame yet")
        age_ms = (time.perf_counter() - stamp) * 1e3
        if age_ms > max_age_ms:
            raise TimeoutError(
                f"{self}: newest frame is {age_ms:.0f} ms old (max_age_ms={max_age_ms})"
            )
        return frame

    def __del__(self) -> None:
        try:
            if self._open_done:
                self._shutdown()
        except Exception:
            pass

    @staticmethod
    def find_cameras() -> list[dict[str, Any]]:
        """Describe the attached cameras of this kind (none for a base)."""
        return []
