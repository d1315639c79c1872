"""Config bases shared by robots, teleoperators and cameras."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from lr_core.config import PluginConfig


class CameraConfig(PluginConfig):
    """Base of camera configs (``lr.cameras``): frame rate and size, in frames/s and pixels."""

    registry_group: ClassVar[str | None] = "lr.cameras"

    fps: int | None = None
    width: int | None = None
    height: int | None = None


class DeviceConfig(PluginConfig):
    """Fields every robot and teleoperator config has.

    ``id`` names this particular unit (``"my_left_arm"``); it selects the calibration file
    ``<calibration_dir>/<id>.json``. ``calibration_dir`` defaults to the LeRobot-compatible
    location (:func:`lr_core.paths.calibration_dir`).
    """

    id: str | None = None
    calibration_dir: Path | None = None


class RobotConfig(DeviceConfig):
    """Base of robot configs (``lr.robots``)."""

    registry_group: ClassVar[str | None] = "lr.robots"


class TeleoperatorConfig(DeviceConfig):
    """Base of teleoperator configs (``lr.teleoperators``)."""

    registry_group: ClassVar[str | None] = "lr.teleoperators"
