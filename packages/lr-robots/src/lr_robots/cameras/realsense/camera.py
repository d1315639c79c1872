"""``intelrealsense``: an Intel RealSense camera through ``pyrealsense2``, colour and depth.

A ``rs.pipeline`` streams colour (``rgb8``) and/or depth (``z16``, millimetres) at the same
size and rate; the capture thread waits for each frameset and publishes both together, so a
colour frame and the depth map read after it belong to the same instant. Depth has its own
``read_depth`` / ``async_read_depth`` / ``read_latest_depth`` (``(H, W, 1)`` uint16), each with
its own "already returned" mark, so reading colour does not consume depth.

``serial_number_or_name`` may also be a recording (``.bag``/``.db3``), played back in real time
and looping: how this module is tested without a camera (the recording is made with
``pyrealsense2``'s software device and recorder).

Source: LeRobot 0.6.1 ``lerobot/cameras/realsense/camera_realsense.py`` (fields, defaults,
connect retries with a hardware reset, manual sensor options).
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import numpy as np

from lr_core.errors import ConfigError, require
from lr_robots.cameras.configs import Cv2Rotation
from lr_robots.cameras.errors import CameraConnectionError
from lr_robots.cameras.realsense.config import RealSenseCameraConfig
from lr_robots.cameras.threaded import ThreadedCamera

logger = logging.getLogger(__name__)

#: Wait for one frameset (ms), as LeRobot.
FRAME_TIMEOUT_MS = 10_000
RECORDING_SUFFIXES = (".bag", ".db3")


def import_rs() -> Any:
    """``pyrealsense2``, or :class:`MissingDependencyError` naming ``lr-robots[intelrealsense]``."""
    return require("pyrealsense2", "intelrealsense", "lr-robots")


def _rotate_depth(depth: np.ndarray, rotation: Cv2Rotation) -> np.ndarray:
    if rotation == Cv2Rotation.ROTATE_90:
        depth = np.rot90(depth, k=-1)
    elif rotation == Cv2Rotation.ROTATE_270:
        depth = np.rot90(depth, k=1)
    elif rotation == Cv2Rotation.ROTATE_180:
        depth = depth[::-1, ::-1]
    return np.ascontiguousarray(depth)[..., np.newaxis]


class RealSenseCamera(ThreadedCamera):
    """See the module docstring; config :class:`RealSenseCameraConfig`."""

    config_class = RealSenseCameraConfig
    #: Pipeline starts before giving up on a camera that streams nothing (LeRobot: 3, the last
    #: after a USB hardware reset).
    max_connect_attempts = 3

    def __init__(self, config: RealSenseCameraConfig) -> None:
        super().__init__(config)
        self.config: RealSenseCameraConfig = config
        self.use_rgb = config.use_rgb
        self.use_depth = config.use_depth
        target = config.serial_number_or_name
        self.recording: Path | None = (
            Path(target) if target.lower().endswith(RECORDING_SUFFIXES) else None
        )
        self.serial_number: str | None = target if target.isdigit() else None
        self.rs_pipeline: Any = None
        self.rs_profile: Any = None
        self.latest_depth_frame: np.ndarray | None = None
        self._pending_depth: np.ndarray | None = None
        self._consumed_depth = 0

    def _describe(self) -> str:
        return str(self.recording or self.serial_number or self.config.serial_number_or_name)

    # ------------------------------------------------------------------ connecting

    def connect(self, warmup: bool = True) -> None:
        """Start the pipeline and wait for frames; retry a camera that streams nothing
        (the last attempt after a USB hardware reset), as LeRobot does."""
        for attempt in range(1, self.max_connect_attempts + 1):
            try:
                super().connect(warmup)
                return
            except CameraConnectionError as exc:
                if "gave no frame" not in str(exc) or attempt == self.max_connect_attempts:
                    raise
                logger.warning("%s streamed nothing (attempt %d); retrying", self, attempt)
                if attempt == self.max_connect_attempts - 1:
                    self._hardware_reset()

    def _hardware_reset(self, wait_s: float = 5.0) -> None:
        if self.recording is not None or self.serial_number is None:
            return
        rs = import_rs()
        for device in rs.context().query_devices():
            if device.get_info(rs.camera_info.serial_number) == self.serial_number:
                logger.info("%s: USB hardware reset", self)
                device.hardware_reset()
                time.sleep(wait_s)
                return

    def _open(self) -> None:
        rs = import_rs()
        config = rs.config()
        if self.recording is not None:
            if not self.recording.is_file():
                raise CameraConnectionError(f"{self}: recording {self.recording} does not exist")
            config.enable_device_from_file(str(self.recording), repeat_playback=True)
        else:
            if self.serial_number is None:
                self.serial_number = self._serial_from_name(self.config.serial_number_or_name)
            config.enable_device(self.serial_number)
        from lr_robots.cameras.frames import capture_size

        cap_w, cap_h = capture_size(self.width, self.height, self.rotation)
        for enabled, stream, fmt in (
            (self.use_rgb, rs.stream.color, rs.format.rgb8),
            (self.use_depth, rs.stream.depth, rs.format.z16),
        ):
            if not enabled:
                continue
            if cap_w and cap_h and self.fps:
                config.enable_stream(stream, cap_w, cap_h, fmt, self.fps)
            else:
                config.enable_stream(stream)
        pipeline = rs.pipeline()
        try:
            profile = pipeline.start(config)
        except RuntimeError as exc:
            raise CameraConnectionError(
                f"{self} cannot start streaming ({exc}); run `lr find-cameras realsense`"
            ) from exc
        self.rs_pipeline, self.rs_profile = pipeline, profile
        if self.recording is not None:
            profile.get_device().as_playback().set_real_time(True)
        main = rs.stream.color if self.use_rgb else rs.stream.depth
        video = profile.get_stream(main).as_video_stream_profile()
        self._set_source_size(video.width(), video.height())
        if self.fps is None:
            self.fps = video.fps()
        self._configure_sensor_options()

    def _serial_from_name(self, name: str) -> str:
        found = [cam for cam in self.find_cameras() if str(cam["name"]) == name]
        if not found:
            names = [cam["name"] for cam in self.find_cameras()]
            raise ConfigError(f"no RealSense camera named {name!r}; found: {names}")
        if len(found) > 1:
            raise ConfigError(
                f"several RealSense cameras are named {name!r} "
                f"(serial numbers {[c['id'] for c in found]}); give the serial number"
            )
        return str(found[0]["id"])

    def _configure_sensor_options(self) -> None:
        cfg = self.config
        if cfg.exposure is None and cfg.gain is None and cfg.white_balance is None:
            return
        rs = import_rs()
        sensors = {
            s.get_info(rs.camera_info.name): s for s in self.rs_profile.get_device().query_sensors()
        }
        sensor = sensors.get("RGB Camera")
        if sensor is None:
            raise ConfigError(
                f"{self}: exposure/gain/white_balance need a separate 'RGB Camera' sensor; "
                f"this camera has {list(sensors)}"
            )
        if cfg.exposure is not None or cfg.gain is not None:
            self._set_option(sensor, rs.option.enable_auto_exposure, 0, "auto exposure")
        for option, value, label in (
            (rs.option.exposure, cfg.exposure, "exposure"),
            (rs.option.gain, cfg.gain, "gain"),
        ):
            if value is not None:
                self._set_option(sensor, option, value, label)
        if cfg.white_balance is not None:
            self._set_option(sensor, rs.option.enable_auto_white_balance, 0, "auto white balance")
            self._set_option(sensor, rs.option.white_balance, cfg.white_balance, "white balance")

    def _set_option(self, sensor: Any, option: Any, value: float, label: str) -> None:
        if not sensor.supports(option):
            raise ConfigError(f"{self}: the colour sensor has no {label} setting")
        try:
            sensor.set_option(option, value)
        except Exception as exc:
            try:
                r = sensor.get_option_range(option)
                detail = f" (range {r.min}..{r.max}, step {r.step}, default {r.default})"
            except Exception:
                detail = ""
            raise ConfigError(f"{self}: cannot set {label}={value}{detail}: {exc}") from exc

    # ------------------------------------------------------------------ capture thread

    def _grab(self) -> np.ndarray | None:
        ok, frames = self.rs_pipeline.try_wait_for_frames(FRAME_TIMEOUT_MS)
        if not ok or frames is None:
            raise RuntimeError(f"{self}: no frameset within {FRAME_TIMEOUT_MS} ms")
        color = None
        if self.use_rgb:
            color_frame = frames.get_color_frame()
            if not color_frame:
                raise RuntimeError(f"{self}: frameset without a colour frame")
            color = np.asanyarray(color_frame.get_data())
        if self.use_depth:
            depth_frame = frames.get_depth_frame()
            if not depth_frame:
                raise RuntimeError(f"{self}: frameset without a depth frame")
            depth = np.asanyarray(depth_frame.get_data())
            if depth.shape != (self.capture_height, self.capture_width):
                raise RuntimeError(
                    f"{self}: depth is {depth.shape[1]}x{depth.shape[0]}, expected "
                    f"{self.capture_width}x{self.capture_height}"
                )
            self._pending_depth = _rotate_depth(depth, self.rotation)
        return None if color is None else color.copy()

    def _publish(self) -> None:
        if self.use_depth:
            self.latest_depth_frame = self._pending_depth

    def _close(self) -> None:
        if self.rs_pipeline is not None:
            try:
                self.rs_pipeline.stop()
            finally:
                self.rs_pipeline = None
                self.rs_profile = None
        self.latest_depth_frame = None

    # ------------------------------------------------------------------ reading

    def _need(self, rgb: bool) -> None:
        if rgb and not self.use_rgb:
            raise RuntimeError(f"{self}: cannot read colour, the camera has use_rgb=false")
        if not rgb and not self.use_depth:
            raise RuntimeError(f"{self}: cannot read depth, the camera has use_depth=false")

    def read(self) -> np.ndarray:
        """A colour frame captured after this call (see :meth:`ThreadedCamera.read`)."""
        self._need(rgb=True)
        return super().read()

    def async_read(self, timeout_ms: float = 200) -> np.ndarray:
        """The newest colour frame not returned before (see ``ThreadedCamera.async_read``)."""
        self._need(rgb=True)
        return super().async_read(timeout_ms)

    def read_latest(self, max_age_ms: float = 500) -> np.ndarray:
        """The newest colour frame, without waiting (see ``ThreadedCamera.read_latest``)."""
        self._need(rgb=True)
        return super().read_latest(max_age_ms)

    def async_read_depth(self, timeout_ms: float = 200) -> np.ndarray:
        """The newest depth map ``(H, W, 1)`` uint16 (mm) not returned before, waiting up to
        ``timeout_ms``; ``TimeoutError`` otherwise."""
        self._need(rgb=False)
        self._check_readable()
        with self._cond:
            fresh = self._cond.wait_for(
                lambda: self.frame_count > self._consumed_depth or self._error is not None,
                timeout=max(timeout_ms, 0) / 1000.0,
            )
            depth = self.latest_depth_frame if fresh and self._error is None else None
            if depth is not None:
                self._consumed_depth = self.frame_count
        if depth is None:
            self._check_readable()
            raise TimeoutError(f"{self}: no new depth frame within {timeout_ms} ms")
        return depth

    def read_depth(self) -> np.ndarray:
        """A depth map captured after this call (blocks up to 10 s)."""
        self._need(rgb=False)
        self._check_readable()
        with self._cond:
            self._consumed_depth = self.frame_count
        return self.async_read_depth(timeout_ms=10_000)

    def read_latest_depth(self, max_age_ms: float = 500) -> np.ndarray:
        """The newest depth map, without waiting; ``TimeoutError`` if older than
        ``max_age_ms``."""
        self._need(rgb=False)
        self._check_readable()
        with self._cond:
            depth, stamp = self.latest_depth_frame, self.latest_timestamp
        if depth is None or stamp is None:
            raise RuntimeError(f"{self} has not captured any depth frame yet")
        age_ms = (time.perf_counter() - stamp) * 1e3
        if age_ms > max_age_ms:
            raise TimeoutError(f"{self}: newest depth is {age_ms:.0f} ms old (max {max_age_ms})")
        return depth

    @staticmethod
    def find_cameras() -> list[dict[str, Any]]:
        """The connected RealSense devices in LeRobot's format (``type`` ``"RealSense"``,
        ``id`` = serial number, firmware, USB type, ``default_stream_profile``)."""
        rs = import_rs()
        found = []
        for device in rs.context().query_devices():
            info = {
                "name": device.get_info(rs.camera_info.name),
                "type": "RealSense",
                "id": device.get_info(rs.camera_info.serial_number),
            }
            for key, field in (
                ("firmware_version", rs.camera_info.firmware_version),
                ("usb_type_descriptor", rs.camera_info.usb_type_descriptor),
                ("physical_port", rs.camera_info.physical_port),
                ("product_id", rs.camera_info.product_id),
                ("product_line", rs.camera_info.product_line),
            ):
                if device.supports(field):
                    info[key] = device.get_info(field)
            for sensor in device.query_sensors():
                for profile in sensor.get_stream_profiles():
                    if profile.is_video_stream_profile() and profile.is_default():
                        video = profile.as_video_stream_profile()
                        info["default_stream_profile"] = {
                            "stream_type": video.stream_name(),
                            "format": video.format().name,
                            "width": video.width(),
                            "height": video.height(),
                            "fps": video.fps(),
                        }
            found.append(info)
        return found
