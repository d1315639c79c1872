"""Settings shared by the frame cameras: colour order, rotation and warm-up (LeRobot's names).

``ColorMode``, ``Cv2Rotation`` and ``Cv2Backends`` carry LeRobot 0.6.1's names and values
(``lerobot/cameras/configs.py``), so configs written for LeRobot validate here unchanged.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum
from typing import Any

from pydantic import Field, field_validator

from lr_core.devices import CameraConfig


class ColorMode(StrEnum):
    """Channel order of the frames a camera returns."""

    RGB = "rgb"
    BGR = "bgr"


class Cv2Rotation(IntEnum):
    """Clockwise rotation applied to every frame, in degrees (``-90`` is 270° clockwise)."""

    NO_ROTATION = 0
    ROTATE_90 = 90
    ROTATE_180 = 180
    ROTATE_270 = -90


class Cv2Backends(IntEnum):
    """OpenCV capture back ends (the ``cv2.CAP_*`` values LeRobot's ``backend`` field takes)."""

    ANY = 0
    V4L2 = 200
    DSHOW = 700
    PVAPI = 800
    ANDROID = 1000
    AVFOUNDATION = 1200
    MSMF = 1400


def parse_color_mode(value: Any) -> Any:
    """``"RGB"``/``"rgb"``/``ColorMode.RGB`` → ``"rgb"`` (other values pass on to pydantic)."""
    if isinstance(value, ColorMode):
        return value
    return value.lower() if isinstance(value, str) else value


def parse_rotation(value: Any) -> Any:
    """Accept ``270`` (and ``"270"``) as LeRobot's ``-90``; other values pass on to pydantic."""
    if isinstance(value, str) and value.lstrip("-").isdigit():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, Cv2Rotation) and value == 270:
        return -90
    return value


class FrameCameraConfig(CameraConfig):
    """Fields every colour camera of lr has, with LeRobot's names and defaults.

    - ``fps``, ``width``, ``height``: requested rate (frames/s) and size (pixels) of the frames
      *returned*, i.e. after ``rotation``; ``None`` takes what the source gives.
    - ``color_mode``: ``rgb`` (default) or ``bgr``.
    - ``rotation``: ``0``, ``90``, ``180`` or ``-90`` (= ``270``) degrees clockwise.
    - ``warmup_s``: seconds of frames read and dropped by ``connect()`` (auto-exposure settles).
    """

    color_mode: ColorMode = ColorMode.RGB
    rotation: Cv2Rotation = Cv2Rotation.NO_ROTATION
    warmup_s: float = Field(default=1, ge=0)

    @field_validator("color_mode", mode="before")
    @classmethod
    def _color_mode(cls, value: Any) -> Any:
        return parse_color_mode(value)

    @field_validator("rotation", mode="before")
    @classmethod
    def _rotation(cls, value: Any) -> Any:
        return parse_rotation(value)

    @field_validator("fps", "width", "height")
    @classmethod
    def _positive(cls, value: int | None) -> int | None:
        if value is not None and value <= 0:
            raise ValueError(f"must be a positive integer, got {value}")
        return value
