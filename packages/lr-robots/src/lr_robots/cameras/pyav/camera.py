"""``av``: a camera read through FFmpeg's device inputs with PyAV (no OpenCV).

Opens ``/dev/videoN`` with FFmpeg's ``v4l2`` input on Linux, device ``N`` with
``avfoundation`` on macOS (the choice lives in :mod:`lr_robots.cameras.pyav.devices`), asks for
``width x height`` at ``fps`` in ``fourcc``, checks that the device agreed (like LeRobot's
``opencv`` camera, a silently changed size or rate is an error), then decodes frames in the
capture thread straight to RGB or BGR. Any other FFmpeg input works too: an RTSP/HTTP stream,
a ``lavfi`` test source, a video file (played at its own rate).

Source: LeRobot 0.6.1 ``lerobot/cameras/opencv/camera_opencv.py`` (behaviour and errors).
"""

from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import Any

import numpy as np

from lr_robots.cameras.configs import ColorMode
from lr_robots.cameras.errors import CameraConnectionError
from lr_robots.cameras.frames import capture_size
from lr_robots.cameras.pyav.config import AVCameraConfig
from lr_robots.cameras.pyav.devices import input_options, list_device_targets, resolve_input
from lr_robots.cameras.pyav.source import AVSource
from lr_robots.cameras.threaded import ThreadedCamera

logger = logging.getLogger(__name__)


class AVCamera(ThreadedCamera):
    """See the module docstring; config :class:`AVCameraConfig`."""

    config_class = AVCameraConfig

    def __init__(self, config: Any) -> None:
        super().__init__(config)
        self.source: AVSource | None = None
        self._pixel_format = "rgb24"
        self._scale: tuple[int | None, int | None] = (None, None)
        self.url, self.input_format, self.is_device = self._resolve()

    def _resolve(self) -> tuple[str, str | None, bool]:
        """``(url, FFmpeg input format, is a camera device)``."""
        cfg: AVCameraConfig = self.config
        return resolve_input(cfg.index_or_path, cfg.backend, cfg.input_format)

    def _describe(self) -> str:
        return str(self.url)

    def _source_options(self) -> dict[str, str]:
        cfg: AVCameraConfig = self.config
        width, height = capture_size(cfg.width, cfg.height, self.rotation)
        options = input_options(self.input_format, cfg.fps, width, height, cfg.fourcc)
        options.update(cfg.options)
        return options

    def _timeout_s(self) -> float:
        return self.config.timeout_s

    def _is_file(self) -> bool:
        return not self.is_device and self.input_format is None and Path(self.url).is_file()

    def _open(self) -> None:
        if self.is_device and self.url.startswith("/dev/") and not Path(self.url).exists():
            raise CameraConnectionError(
                f"{self}: {self.url} does not exist; run `lr find-cameras` to list cameras"
            )
        is_file = self._is_file()
        self.source = AVSource(
            self.url,
            self.input_format,
            self._source_options(),
            live=not is_file,
            loop=self._loops(),
            timeout_s=self._timeout_s(),
        )
        self._check_source(self.source, scale=is_file)
        self._source_color = self.color_mode
        self._pixel_format = "bgr24" if self.color_mode == ColorMode.BGR else "rgb24"

    def _loops(self) -> bool:
        return False

    def _check_source(self, source: AVSource, *, scale: bool) -> None:
        """Fill in unset fps/size from the source; error if a device ignored the request
        (files and streams are scaled to the requested size instead when ``scale``)."""
        want_w, want_h = capture_size(self.config.width, self.config.height, self.rotation)
        self._scale = (None, None)
        got = (source.width, source.height)
        if want_w is not None and want_h is not None and got != (want_w, want_h):
            if not scale:
                raise CameraConnectionError(
                    f"{self} delivers {got[0]}x{got[1]}, not the requested {want_w}x{want_h}; "
                    "run `lr find-cameras` for its default size"
                )
            self._scale = (want_w, want_h)
        self._set_source_size(source.width, source.height)
        rate = source.rate
        if self.config.fps is None:
            self.fps = round(float(rate)) if rate else None
        elif (
            (self.is_device or scale)  # devices and files; streams are taken as they come
            and rate
            and not math.isclose(float(rate), self.config.fps, rel_tol=1e-3)
        ):
            raise CameraConnectionError(
                f"{self} runs at {float(rate):.3f} fps, not the requested {self.config.fps}"
            )

    def _grab(self) -> np.ndarray:
        assert self.source is not None
        width, height = self._scale
        return self.source.next_frame(self._pixel_format, width, height)

    def _close(self) -> None:
        if self.source is not None:
            self.source.close()
            self.source = None

    def _shutdown(self) -> None:
        if self.source is not None:
            self.source.stop()
        super()._shutdown()

    @staticmethod
    def find_cameras() -> list[dict[str, Any]]:
        """Every device FFmpeg can open: ``/dev/video*`` on Linux (metadata nodes are skipped),
        indices 0-9 on macOS. Each entry has ``name``, ``type`` (``"av"``), ``id`` and the
        ``default_stream_profile`` (format, width, height, fps)."""
        found = []
        for target in list_device_targets():
            url, fmt, _ = resolve_input(target)
            try:
                source = AVSource(url, fmt, timeout_s=2.0)
            except Exception as exc:
                logger.debug("%s is not a capture device: %s", url, exc)
                continue
            try:
                rate = source.rate
                found.append(
                    {
                        "name": f"{fmt} camera @ {url}",
                        "type": "av",
                        "id": target,
                        "input_format": fmt,
                        "default_stream_profile": {
                            "format": source.pixel_format,
                            "width": source.width,
                            "height": source.height,
                            "fps": float(rate) if rate else None,
                        },
                    }
                )
            finally:
                source.close()
        return found
