"""Config of the ``av`` camera (cheap to import): LeRobot's ``opencv`` fields, plus FFmpeg's."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import Field, field_validator

from lr_robots.cameras.configs import Cv2Backends, FrameCameraConfig


def _backend(value: Any) -> Any:
    if isinstance(value, str) and not value.lstrip("-").isdigit():
        try:
            return Cv2Backends[value.upper()]
        except KeyError:
            raise ValueError(
                f"unknown backend {value!r}; valid: {', '.join(b.name for b in Cv2Backends)}"
            ) from None
    if isinstance(value, str):
        return int(value)
    return value


def _fourcc(value: str | None) -> str | None:
    if value is not None and len(value) != 4:
        raise ValueError(f"fourcc must be 4 characters (e.g. 'MJPG', 'YUYV'), got {value!r}")
    return value


class OpenCVStyleFields(FrameCameraConfig):
    """The fields of LeRobot 0.6.1's ``OpenCVCameraConfig``, shared by ``opencv`` and ``av``.

    - ``index_or_path``: a device index (``0``), a device path (``/dev/video4``) or a video
      file; with ``av`` also a network URL (``rtsp://...``) or a filter graph.
    - ``fourcc``: the pixel format asked of the camera (``"MJPG"`` gives higher rates on most
      USB cameras; ``"YUYV"``...); ``None`` keeps the camera's default.
    - ``backend``: OpenCV's capture API (``ANY``, ``V4L2``, ``AVFOUNDATION``, ``DSHOW``...), by
      name or ``cv2.CAP_*`` value.
    """

    index_or_path: int | Path
    fourcc: str | None = None
    backend: Cv2Backends = Cv2Backends.ANY

    @field_validator("index_or_path", mode="before")
    @classmethod
    def _index_or_path(cls, value: Any) -> Any:
        if isinstance(value, str) and value.isdigit():
            return int(value)
        return value

    @field_validator("fourcc")
    @classmethod
    def _check_fourcc(cls, value: str | None) -> str | None:
        return _fourcc(value)

    @field_validator("backend", mode="before")
    @classmethod
    def _check_backend(cls, value: Any) -> Any:
        return _backend(value)


class AVCameraConfig(OpenCVStyleFields):
    """A camera read through FFmpeg (PyAV): V4L2 on Linux, AVFoundation on macOS.

    Takes every field of LeRobot's ``opencv`` camera, so ``type: opencv`` configs work after
    changing the type to ``av``. FFmpeg's own:

    - ``input_format``: the FFmpeg input (``v4l2``, ``avfoundation``, ``dshow``, ``lavfi``...);
      ``None`` picks from ``backend`` and the system for devices, and guesses for other inputs.
    - ``options``: extra FFmpeg input options, e.g. ``{"input_format": "mjpeg"}`` or
      ``{"rtsp_transport": "tcp"}``; they win over the ones derived from the fields above.
    - ``timeout_s``: limit for opening the input and for each read of a network stream (s).

    A video file plays at its own rate (use the ``video_file`` camera to loop it).
    """

    type: Literal["av"] = "av"
    implementation: ClassVar[str] = "lr_robots.cameras.pyav.camera:AVCamera"

    input_format: str | None = None
    options: dict[str, str] = Field(default_factory=dict)
    timeout_s: float = Field(default=5.0, gt=0)
