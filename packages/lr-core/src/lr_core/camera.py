"""The contract every camera implements (OpenCV, RealSense, network, synthetic)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from types import TracebackType
from typing import Any, ClassVar, Self

import numpy as np

from lr_core.devices import CameraConfig


class Camera(ABC):
    """A frame source. Frames are ``(H, W, C)`` uint8 arrays, RGB unless configured otherwise."""

    config_class: ClassVar[type[CameraConfig]]

    def __init__(self, config: CameraConfig) -> None:
        self.config = config
        self.fps = config.fps
        self.width = config.width
        self.height = config.height

    @staticmethod
    def find_cameras() -> list[dict[str, Any]]:
        """Describe the cameras of this kind that are attached (empty if none)."""
        return []

    @property
    @abstractmethod
    def is_connected(self) -> bool:
        """Whether the camera is open."""

    @abstractmethod
    def connect(self, warmup: bool = True) -> None:
        """Open the camera (and discard frames for a while when ``warmup``)."""

    @abstractmethod
    def read(self) -> np.ndarray:
        """Capture a new frame, blocking until it arrives."""

    @abstractmethod
    def async_read(self, timeout_ms: float = 200) -> np.ndarray:
        """The newest frame not returned before, waiting up to ``timeout_ms`` for one."""

    @abstractmethod
    def read_latest(self, max_age_ms: float = 500) -> np.ndarray:
        """The newest frame without waiting; ``TimeoutError`` if older than ``max_age_ms``."""

    @abstractmethod
    def disconnect(self) -> None:
        """Release the camera."""

    def __enter__(self) -> Self:
        self.connect()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.is_connected:
            self.disconnect()
