"""Config of the ``synthetic`` camera (cheap to import)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from lr_robots.cameras.configs import FrameCameraConfig


class SyntheticCameraConfig(FrameCameraConfig):
    """A test-pattern camera that needs no hardware (:mod:`lr_robots.cameras.synthetic.camera`).

    Frames arrive at a true ``fps`` (default 30) and are ``width x height`` (default 640x480);
    each carries its frame index and capture time (read it back with
    :func:`lr_robots.cameras.synthetic.pattern.decode_stamp`).
    Faults for tests of the code that reads cameras:

    - ``stall_after_frames``: stop delivering after this many frames (a hung camera);
    - ``fail_after_frames``: every read fails after this many frames (an unplugged camera).
    """

    type: Literal["synthetic"] = "synthetic"
    implementation: ClassVar[str] = "lr_robots.cameras.synthetic.camera:SyntheticCamera"

    fps: int | None = 30
    width: int | None = 640
    height: int | None = 480
    warmup_s: float = Field(default=0, ge=0)
    stall_after_frames: int | None = Field(default=None, ge=0)
    fail_after_frames: int | None = Field(default=None, ge=0)
