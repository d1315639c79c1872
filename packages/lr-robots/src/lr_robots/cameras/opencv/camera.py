"""``opencv``: a camera read with ``cv2.VideoCapture``, LeRobot 0.6.1's default camera.

Opens the device (or file) with the configured OpenCV ``backend``, sets ``fourcc`` (after the
size and rate on Windows, where DirectShow resets it), then requires the size and rate to read
back as requested, as LeRobot does. ``cv2.setNumThreads(1)``: OpenCV's own thread pool only
competes with the control loop here.

Source: LeRobot 0.6.1 ``lerobot/cameras/opencv/camera_opencv.py``.
"""

from __future__ import annotations

import logging
import math
import platform
from pathlib import Path
from typing import Any

import numpy as np

from lr_core.errors import require
from lr_robots.cameras.configs import ColorMode
from lr_robots.cameras.errors import CameraConnectionError
from lr_robots.cameras.opencv.config import OpenCVCameraConfig
from lr_robots.cameras.threaded import EndOfStream, ThreadedCamera

logger = logging.getLogger(__name__)

#: Highest device index probed off Linux (LeRobot's ``MAX_OPENCV_INDEX``).
MAX_OPENCV_INDEX = 60


def import_cv2() -> Any:
    """The ``cv2`` module, or :class:`MissingDependencyError` naming ``lr-robots[opencv]``."""
    return require("cv2", "opencv", "lr-robots")


def fourcc_string(code: float) -> str:
    """``cv2.CAP_PROP_FOURCC``'s number as its 4 characters."""
    value = int(code)
    return "".join(chr((value >> 8 * i) & 0xFF) for i in range(4))


class OpenCVCamera(ThreadedCamera):
    """See the module docstring; config :class:`OpenCVCameraConfig`."""

    config_class = OpenCVCameraConfig
    source_color = ColorMode.BGR

    def __init__(self, config: OpenCVCameraConfig) -> None:
        super().__init__(config)
        self.config: OpenCVCameraConfig = config
        self.index_or_path = config.index_or_path
        self.videocapture: Any = None

    def _describe(self) -> str:
        return str(self.index_or_path)

    def _is_file(self) -> bool:
        return isinstance(self.index_or_path, Path) and self.index_or_path.is_file()

    def _open(self) -> None:
        cv2 = import_cv2()
        cv2.setNumThreads(1)
        target = self.index_or_path
        capture = cv2.VideoCapture(
            str(target) if isinstance(target, Path) else target, int(self.config.backend)
        )
        if not capture.isOpened():
            capture.release()
            raise CameraConnectionError(
                f"{self} cannot be opened; run `lr find-cameras opencv` to list cameras"
            )
        self.videocapture = capture
        fourcc_last = platform.system() == "Windows"
        if self.config.fourcc is not None and not fourcc_last:
            self._set_fourcc()
        cap_w, cap_h = self._capture_request()
        if cap_w is None or cap_h is None:
            self._set_source_size(
                round(capture.get(cv2.CAP_PROP_FRAME_WIDTH)),
                round(capture.get(cv2.CAP_PROP_FRAME_HEIGHT)),
            )
        else:
            self._set_property(cv2.CAP_PROP_FRAME_WIDTH, cap_w, "width", exact=True)
            self._set_property(cv2.CAP_PROP_FRAME_HEIGHT, cap_h, "height", exact=True)
        if self.fps is None:
            rate = capture.get(cv2.CAP_PROP_FPS)
            self.fps = round(rate) if rate and rate > 0 else None
        else:
            self._set_property(cv2.CAP_PROP_FPS, self.fps, "fps", exact=False)
        if self.config.fourcc is not None and fourcc_last:
            self._set_fourcc()

    def _capture_request(self) -> tuple[int | None, int | None]:
        from lr_robots.cameras.frames import capture_size

        return capture_size(self.width, self.height, self.rotation)

    def _set_property(self, prop: int, value: float, name: str, *, exact: bool) -> None:
        ok = self.videocapture.set(prop, float(value))
        actual = self.videocapture.get(prop)
        same = round(actual) == value if exact else math.isclose(actual, value, rel_tol=1e-3)
        if not ok or not same:
            raise CameraConnectionError(
                f"{self} failed to set {name}={value} (it reads back {actual:g}); "
                f"run `lr find-cameras opencv` for what it supports"
            )

    def _set_fourcc(self) -> None:
        cv2 = import_cv2()
        wanted = self.config.fourcc
        assert wanted is not None
        ok = self.videocapture.set(cv2.CAP_PROP_FOURCC, cv2.VideoWriter_fourcc(*wanted))
        actual = fourcc_string(self.videocapture.get(cv2.CAP_PROP_FOURCC))
        if not ok or actual != wanted:
            logger.warning(
                "%s failed to set fourcc=%s (it reads back %r); keeping its default format",
                self,
                wanted,
                actual,
            )

    def _grab(self) -> np.ndarray:
        ok, frame = self.videocapture.read()
        if not ok:
            if self._is_file():
                raise EndOfStream(f"{self.index_or_path} has no more frames")
            raise RuntimeError(f"{self} read failed")
        return frame

    def _close(self) -> None:
        if self.videocapture is not None:
            self.videocapture.release()
            self.videocapture = None

    @staticmethod
    def find_cameras() -> list[dict[str, Any]]:
        """Cameras OpenCV opens: ``/dev/video*`` on Linux, indices 0-59 elsewhere; in
        LeRobot's format (``type`` ``"OpenCV"``, ``id``, ``backend_api``,
        ``default_stream_profile``)."""
        cv2 = import_cv2()
        found = []
        for target in _targets():
            capture = cv2.VideoCapture(target)
            try:
                if not capture.isOpened():
                    continue
                found.append(
                    {
                        "name": f"OpenCV Camera @ {target}",
                        "type": "OpenCV",
                        "id": target,
                        "backend_api": capture.getBackendName(),
                        "default_stream_profile": {
                            "format": capture.get(cv2.CAP_PROP_FORMAT),
                            "fourcc": fourcc_string(capture.get(cv2.CAP_PROP_FOURCC)),
                            "width": int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)),
                            "height": int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT)),
                            "fps": capture.get(cv2.CAP_PROP_FPS),
                        },
                    }
                )
            finally:
                capture.release()
        return found


def _targets() -> list[str | int]:
    if platform.system() == "Linux":
        return [str(p) for p in sorted(Path("/dev").glob("video*"), key=lambda p: p.name)]
    return list(range(MAX_OPENCV_INDEX))
