"""Config of the ``video_file`` camera (cheap to import)."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar, Literal

from pydantic import Field

from lr_robots.cameras.configs import FrameCameraConfig


class VideoFileCameraConfig(FrameCameraConfig):
    """Replays a video file (MP4, MKV... anything FFmpeg reads) as a camera.

    - ``path``: the video file.
    - ``loop``: start again at the end (default); otherwise the camera stops delivering and
      ``async_read`` times out once the last frame was read.
    - ``fps``: ``None`` plays at the file's rate; a value must equal it (the file is not
      re-timed).
    - ``width``/``height``: scale frames to this size (``None`` keeps the file's).
    """

    type: Literal["video_file"] = "video_file"
    implementation: ClassVar[str] = "lr_robots.cameras.video_file.camera:VideoFileCamera"

    path: Path
    loop: bool = True
    warmup_s: float = Field(default=0, ge=0)
