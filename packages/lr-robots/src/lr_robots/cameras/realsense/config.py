"""Config of the ``intelrealsense`` camera (cheap to import): LeRobot 0.6.1's fields."""

from __future__ import annotations

from typing import ClassVar, Literal, Self

from pydantic import Field, model_validator

from lr_robots.cameras.configs import FrameCameraConfig


class RealSenseCameraConfig(FrameCameraConfig):
    """An Intel RealSense camera: colour and/or depth (needs ``lr-robots[intelrealsense]``).

    - ``serial_number_or_name``: the serial number (digits), a unique device name
      (``"Intel RealSense D435"``), or a recording made by RealSense tools or
      :func:`pyrealsense2.recorder` (a ``.bag`` or ``.db3`` file), played back in real time
      and looping.
    - ``use_rgb``/``use_depth``: which streams to read (at least one). Depth frames are
      ``(H, W, 1)`` uint16 millimetres (``read_depth`` / ``async_read_depth`` /
      ``read_latest_depth``), at the colour stream's size and rate.
    - ``exposure``/``gain``/``white_balance``: fixed colour-sensor values (auto modes off);
      ``None`` leaves the sensor's.
    - ``fps``, ``width``, ``height``: all set or all ``None`` (the device's default profile).
    """

    type: Literal["intelrealsense"] = "intelrealsense"
    implementation: ClassVar[str] = "lr_robots.cameras.realsense.camera:RealSenseCamera"

    serial_number_or_name: str = Field(min_length=1)
    use_rgb: bool = True
    use_depth: bool = False
    exposure: int | None = None
    gain: int | None = None
    white_balance: int | None = None

    @model_validator(mode="after")
    def _check(self) -> Self:
        if not self.use_rgb and not self.use_depth:
            raise ValueError("at least one of use_rgb and use_depth must be true")
        manual = [
            name
            for name in ("exposure", "gain", "white_balance")
            if getattr(self, name) is not None
        ]
        if manual and not self.use_rgb:
            raise ValueError(f"{', '.join(manual)} need use_rgb=true (they set the colour sensor)")
        sizes = (self.fps, self.width, self.height)
        if any(v is not None for v in sizes) and any(v is None for v in sizes):
            raise ValueError("fps, width and height must be all set or all left unset")
        return self
