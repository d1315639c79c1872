"""lr's cameras: one capture-thread model behind ``read`` / ``async_read`` / ``read_latest``.

Registered camera types (``lr.cameras`` entry points, config ``type``): ``av`` (FFmpeg's
V4L2 / AVFoundation input through PyAV), ``video_file``, ``synthetic``, ``zmq`` (with
:class:`ImageServer`, LeRobot's network camera layout), ``opencv`` (extra ``opencv``),
``intelrealsense`` (extra ``intelrealsense``: colour and depth).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lr_core.lazy import lazy_exports

_EXPORTS: dict[str, str] = {
    "AVCamera": "lr_robots.cameras.pyav.camera",
    "AVCameraConfig": "lr_robots.cameras.pyav.config",
    "CameraCaptureError": "lr_robots.cameras.errors",
    "CameraConnectionError": "lr_robots.cameras.errors",
    "ColorMode": "lr_robots.cameras.configs",
    "Cv2Backends": "lr_robots.cameras.configs",
    "Cv2Rotation": "lr_robots.cameras.configs",
    "FrameCameraConfig": "lr_robots.cameras.configs",
    "ImageServer": "lr_robots.cameras.zmq.server",
    "OpenCVCamera": "lr_robots.cameras.opencv.camera",
    "OpenCVCameraConfig": "lr_robots.cameras.opencv.config",
    "RealSenseCamera": "lr_robots.cameras.realsense.camera",
    "RealSenseCameraConfig": "lr_robots.cameras.realsense.config",
    "SyntheticCamera": "lr_robots.cameras.synthetic.camera",
    "SyntheticCameraConfig": "lr_robots.cameras.synthetic.config",
    "ThreadedCamera": "lr_robots.cameras.threaded",
    "VideoFileCamera": "lr_robots.cameras.video_file.camera",
    "VideoFileCameraConfig": "lr_robots.cameras.video_file.config",
    "ZMQCamera": "lr_robots.cameras.zmq.camera",
    "ZMQCameraConfig": "lr_robots.cameras.zmq.config",
    "decode_jpeg": "lr_robots.cameras.jpeg",
    "encode_jpeg": "lr_robots.cameras.jpeg",
    "decode_stamp": "lr_robots.cameras.synthetic.pattern",
    "make_cameras_from_configs": "lr_robots.cameras.factory",
}

__all__, __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

if TYPE_CHECKING:
    from lr_robots.cameras.configs import ColorMode, Cv2Backends, Cv2Rotation, FrameCameraConfig
    from lr_robots.cameras.errors import CameraCaptureError, CameraConnectionError
    from lr_robots.cameras.factory import make_cameras_from_configs
    from lr_robots.cameras.jpeg import decode_jpeg, encode_jpeg
    from lr_robots.cameras.opencv.camera import OpenCVCamera
    from lr_robots.cameras.opencv.config import OpenCVCameraConfig
    from lr_robots.cameras.pyav.camera import AVCamera
    from lr_robots.cameras.pyav.config import AVCameraConfig
    from lr_robots.cameras.realsense.camera import RealSenseCamera
    from lr_robots.cameras.realsense.config import RealSenseCameraConfig
    from lr_robots.cameras.synthetic.camera import SyntheticCamera
    from lr_robots.cameras.synthetic.config import SyntheticCameraConfig
    from lr_robots.cameras.synthetic.pattern import decode_stamp
    from lr_robots.cameras.threaded import ThreadedCamera
    from lr_robots.cameras.video_file.camera import VideoFileCamera
    from lr_robots.cameras.video_file.config import VideoFileCameraConfig
    from lr_robots.cameras.zmq.camera import ZMQCamera
    from lr_robots.cameras.zmq.config import ZMQCameraConfig
    from lr_robots.cameras.zmq.server import ImageServer
