"""What ``lr find-cameras`` does: list cameras, open each and save one frame as PNG.

Follows LeRobot 0.6.1's ``lerobot-find-cameras``: the same listing format and file names
(``<type>_<id>.png`` in ``outputs/captured_images``), with the cameras lr reads: ``av`` (the
default: FFmpeg's V4L2 / AVFoundation devices), ``opencv`` and ``realsense`` when their extras
are installed, ``synthetic`` when asked for, and any configured camera (a ``zmq`` network
camera, a ``video_file``) given as ``--cameras``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from lr_core.devices import CameraConfig
from lr_core.errors import ConfigError, MissingDependencyError
from lr_robots.cameras.factory import make_cameras_from_configs

logger = logging.getLogger(__name__)

#: Camera kinds ``lr find-cameras`` can list, with the lr config type each maps to.
KINDS = {"av": "av", "opencv": "opencv", "realsense": "intelrealsense", "synthetic": "synthetic"}
ALIASES = {"intelrealsense": "realsense"}


def _finder(kind: str) -> Callable[[], list[dict[str, Any]]]:
    if kind == "av":
        from lr_robots.cameras.pyav.camera import AVCamera

        return AVCamera.find_cameras
    if kind == "opencv":
        from lr_robots.cameras.opencv.camera import OpenCVCamera

        return OpenCVCamera.find_cameras
    if kind == "realsense":
        from lr_robots.cameras.realsense.camera import RealSenseCamera

        return RealSenseCamera.find_cameras
    from lr_robots.cameras.synthetic.camera import SyntheticCamera

    return SyntheticCamera.find_cameras


def normalise_kind(kind: str | None) -> str | None:
    """``"intelrealsense"`` -> ``"realsense"``; ``ConfigError`` for an unknown kind."""
    if kind is None:
        return None
    kind = ALIASES.get(kind.lower(), kind.lower())
    if kind not in KINDS:
        raise ConfigError(f"unknown camera type {kind!r}; use one of {', '.join(KINDS)}")
    return kind


def find_all(kind: str | None = None) -> list[dict[str, Any]]:
    """Cameras of ``kind``, or of every installed device kind (``av``, else ``opencv``; and
    ``realsense``) when ``None``. A kind whose extra is missing is skipped with a warning
    (an error when asked for by name)."""
    kinds: list[str]
    if kind is not None:
        kinds = [kind]
    else:
        kinds = ["av", "realsense"]
    found: list[dict[str, Any]] = []
    for name in kinds:
        try:
            cameras = _finder(name)()
        except MissingDependencyError as exc:
            if kind is not None:
                raise
            if name == "av":
                try:
                    found.extend(_finder("opencv")())
                    continue
                except MissingDependencyError:
                    pass
            logger.warning("skipping %s cameras: %s", name, exc)
            continue
        logger.info("found %d %s camera(s)", len(cameras), name)
        found.extend(cameras)
    return found


def describe(cameras: list[dict[str, Any]]) -> str:
    """LeRobot's listing: ``Camera #i:`` then one ``Key: value`` line per field."""
    lines = ["", "--- Detected Cameras ---"]
    for i, info in enumerate(cameras):
        lines.append(f"Camera #{i}:")
        for key, value in info.items():
            label = key.replace("_", " ").capitalize()
            if isinstance(value, dict):
                lines.append(f"  {label}:")
                lines.extend(f"    {k.capitalize()}: {v}" for k, v in value.items())
            else:
                lines.append(f"  {label}: {value}")
        lines.append("-" * 20)
    return "\n".join(lines)


def config_for(info: Mapping[str, Any], warmup_s: float) -> CameraConfig:
    """The lr camera config that opens a camera listed by :func:`find_all` at its default
    profile."""
    kind = str(info["type"]).lower()
    if kind == "realsense":
        return CameraConfig.from_dict(
            {
                "type": "intelrealsense",
                "serial_number_or_name": str(info["id"]),
                "warmup_s": warmup_s,
            }
        )
    if kind in ("av", "opencv"):
        cfg: dict[str, Any] = {"type": kind, "index_or_path": info["id"], "warmup_s": warmup_s}
        if kind == "av" and info.get("input_format"):
            cfg["input_format"] = info["input_format"]
        return CameraConfig.from_dict(cfg)
    return CameraConfig.from_dict({"type": kind, "warmup_s": warmup_s})


def config_flag(info: Mapping[str, Any]) -> str:
    """A ``--robot.cameras`` entry that opens this camera at its default profile."""
    import json

    profile = info.get("default_stream_profile") or {}
    cfg = config_for(info, 1).to_dict()
    entry = {
        k: v for k, v in cfg.items() if k in ("type", "index_or_path", "serial_number_or_name")
    }
    for key in ("width", "height", "fps"):
        if profile.get(key):
            entry[key] = round(profile[key])
    return json.dumps(entry)


@dataclass
class Capture:
    """What capturing one camera gave: the saved file, or the error."""

    name: str
    path: Path | None = None
    error: str | None = None
    shape: tuple[int, ...] = field(default_factory=tuple)


def _file_name(info_type: str, identifier: Any) -> str:
    safe = str(identifier).replace("/", "_").replace("\\", "_").replace(":", "_")
    return f"{info_type.lower()}_{safe}"


def capture(
    configs: Mapping[str, CameraConfig], output_dir: Path, record_time_s: float
) -> list[Capture]:
    """Open each camera, read frames for ``record_time_s``, save the newest as
    ``<output_dir>/<name>.png``; one camera failing does not stop the others."""
    from lr_robots.cameras.png import save_png

    results = []
    for name, cfg in configs.items():
        result = Capture(name)
        try:
            camera = make_cameras_from_configs({name: cfg})[name]
            camera.connect()
            try:
                frame = camera.read()
                deadline = time.perf_counter() + record_time_s
                while time.perf_counter() < deadline:
                    try:
                        frame = camera.async_read(timeout_ms=max(200, record_time_s * 1000))
                    except TimeoutError:
                        break
            finally:
                camera.disconnect()
            rgb = frame[..., ::-1] if str(getattr(cfg, "color_mode", "rgb")) == "bgr" else frame
            result.path = save_png(np.ascontiguousarray(rgb), output_dir / f"{name}.png")
            result.shape = tuple(frame.shape)
        except Exception as exc:
            result.error = f"{type(exc).__name__}: {exc}"
            logger.error("camera %s: %s", name, result.error)
        results.append(result)
    return results


def listed_configs(cameras: list[dict[str, Any]], warmup_s: float) -> dict[str, CameraConfig]:
    """``{name: config}`` for the listed cameras; the name is LeRobot's file name stem
    ``<type>_<id>``."""
    return {
        _file_name(str(info["type"]), info["id"]): config_for(info, warmup_s) for info in cameras
    }
