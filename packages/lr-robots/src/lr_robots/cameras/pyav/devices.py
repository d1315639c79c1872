"""Where the ``av`` camera finds devices on each system, and the FFmpeg options it asks for.

The only platform-specific part of the ``av`` camera, kept small and pure (tested per system):

- Linux: input ``v4l2``, device ``/dev/videoN`` (an int ``N`` maps to it); options
  ``video_size``, ``framerate``, ``input_format``.
- macOS: input ``avfoundation``, device ``"N"`` (the device index); options ``video_size``,
  ``framerate``, ``pixel_format``.
- Windows: input ``dshow``, device ``"video=<device name>"``; options ``video_size``,
  ``framerate``, ``vcodec`` / ``pixel_format``.

LeRobot's ``fourcc`` maps to FFmpeg's pixel/codec names (``MJPG`` -> ``mjpeg``,
``YUYV`` -> ``yuyv422``...). Any other input (a file, ``rtsp://...``, ``lavfi``) passes through.
"""

from __future__ import annotations

import platform
from pathlib import Path

from lr_core.errors import ConfigError
from lr_robots.cameras.configs import Cv2Backends

#: FOURCC (as OpenCV/LeRobot take it) -> FFmpeg name: (raw pixel format, or compressed codec).
FOURCC_TO_FFMPEG: dict[str, str] = {
    "MJPG": "mjpeg",
    "JPEG": "mjpeg",
    "H264": "h264",
    "YUYV": "yuyv422",
    "YUY2": "yuyv422",
    "UYVY": "uyvy422",
    "NV12": "nv12",
    "YU12": "yuv420p",
    "I420": "yuv420p",
    "RGB3": "rgb24",
    "BGR3": "bgr24",
    "GREY": "gray",
}
_COMPRESSED = {"mjpeg", "h264"}

BACKEND_FORMATS: dict[Cv2Backends, str] = {
    Cv2Backends.V4L2: "v4l2",
    Cv2Backends.AVFOUNDATION: "avfoundation",
    Cv2Backends.DSHOW: "dshow",
}


def default_input_format(system: str | None = None) -> str | None:
    """The camera input format of ``system`` (``platform.system()`` by default)."""
    return {"Linux": "v4l2", "Darwin": "avfoundation", "Windows": "dshow"}.get(
        system or platform.system()
    )


def resolve_input(
    index_or_path: int | str | Path,
    backend: Cv2Backends = Cv2Backends.ANY,
    input_format: str | None = None,
    system: str | None = None,
) -> tuple[str, str | None, bool]:
    """``(url, input format, is_device)`` for ``av.open``.

    An int (or a digit string) is a device index of the system's camera input; a path under
    ``/dev/`` is a V4L2 device; ``input_format`` (or a ``backend`` other than ``ANY``) forces a
    format; anything else (a file, a URL) lets FFmpeg guess.

    Raises:
        ConfigError: an index on Windows (dshow needs ``video=<name>``), or a backend FFmpeg
            has no input for.
    """
    system = system or platform.system()
    fmt = input_format
    if fmt is None and backend != Cv2Backends.ANY:
        if backend not in BACKEND_FORMATS:
            raise ConfigError(
                f"backend {backend.name} has no FFmpeg input; use ANY, V4L2, AVFOUNDATION or "
                "DSHOW (or the `opencv` camera type)"
            )
        fmt = BACKEND_FORMATS[backend]
    target = str(index_or_path)
    is_index = isinstance(index_or_path, int) or target.isdigit()
    if is_index:
        fmt = fmt or default_input_format(system)
        if fmt == "v4l2":
            return f"/dev/video{int(target)}", fmt, True
        if fmt == "avfoundation":
            return str(int(target)), fmt, True
        if fmt == "dshow":
            raise ConfigError(
                f"index_or_path={target}: DirectShow opens cameras by name; use "
                "index_or_path='video=<camera name>' (see `lr find-cameras`)"
            )
        return target, fmt, False
    if fmt is None and target.startswith("/dev/video"):
        fmt = "v4l2"
    if fmt is None and target.startswith("video=") and system == "Windows":
        fmt = "dshow"
    return target, fmt, fmt in ("v4l2", "avfoundation", "dshow")


def input_options(
    input_format: str | None,
    fps: int | None,
    width: int | None,
    height: int | None,
    fourcc: str | None,
) -> dict[str, str]:
    """FFmpeg input options asking the device for a size, a rate and a pixel format.

    Only device formats take them (a file or a URL gets ``{}``).

    Raises:
        ConfigError: an unknown ``fourcc``.
    """
    if input_format not in ("v4l2", "avfoundation", "dshow"):
        return {}
    options: dict[str, str] = {}
    if width is not None and height is not None:
        options["video_size"] = f"{width}x{height}"
    if fps is not None:
        options["framerate"] = str(fps)
    if fourcc is not None:
        name = FOURCC_TO_FFMPEG.get(fourcc.upper())
        if name is None:
            raise ConfigError(
                f"fourcc {fourcc!r} is not known; use one of {', '.join(FOURCC_TO_FFMPEG)}"
            )
        if input_format == "v4l2":
            options["input_format"] = name
        elif input_format == "dshow":
            options["vcodec" if name in _COMPRESSED else "pixel_format"] = name
        elif name not in _COMPRESSED:  # AVFoundation delivers raw frames only
            options["pixel_format"] = name
    return options


def list_device_targets(system: str | None = None, max_index: int = 10) -> list[str | int]:
    """Devices worth probing: ``/dev/video*`` on Linux, indices ``0..max_index-1`` on macOS
    (Windows: none; DirectShow needs names, which FFmpeg only prints to its log)."""
    system = system or platform.system()
    if system == "Linux":
        nodes = sorted(Path("/dev").glob("video*"), key=lambda p: (len(p.name), p.name))
        return [str(p) for p in nodes]
    if system == "Darwin":
        return list(range(max_index))
    return []
