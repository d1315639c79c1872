"""``video_file``: a video file played as a camera at its own rate (PyAV), optionally looping.

Frames are paced by their presentation timestamps (:class:`~lr_robots.cameras.pyav.source.AVSource`
with ``live=False``), so a 30 fps MP4 gives 30 frames a second through ``async_read`` and
``read_latest`` ages like a real camera's frame. Recorded episodes replayed this way make
every camera path testable without hardware.
"""

from __future__ import annotations

from lr_robots.cameras.errors import CameraConnectionError
from lr_robots.cameras.pyav.camera import AVCamera
from lr_robots.cameras.video_file.config import VideoFileCameraConfig


class VideoFileCamera(AVCamera):
    """See the module docstring; config :class:`VideoFileCameraConfig`."""

    config_class = VideoFileCameraConfig

    def __init__(self, config: VideoFileCameraConfig) -> None:
        super().__init__(config)
        self.config: VideoFileCameraConfig = config

    def _resolve(self) -> tuple[str, str | None, bool]:
        return str(self.config.path), None, False

    def _source_options(self) -> dict[str, str]:
        return {}

    def _timeout_s(self) -> float:
        return 5.0

    def _is_file(self) -> bool:
        return True

    def _loops(self) -> bool:
        return self.config.loop

    def _open(self) -> None:
        if not self.config.path.is_file():
            raise CameraConnectionError(f"{self}: video file {self.config.path} does not exist")
        super()._open()
