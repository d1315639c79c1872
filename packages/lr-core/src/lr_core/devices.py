"""Config bases shared by robots, teleoperators and cameras."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from lr_core.config import PluginConfig


class CameraConfig(PluginConfig):
    """Base of camera configs (``lr.cameras``): frame rate and size, in frames/s and pixels."""

    registry_group: ClassVar[str | None] = "lr.cameras"

    fps: int | None = None
    """Requested frame rate, in frames per second (null: what the source gives)."""
    width: int | None = None
    """Requested frame width, in pixels (null: what the source gives)."""
    height: int | None = None
    """Requested frame height, in pixels (null: what the source gives)."""


class DeviceConfig(PluginConfig):
    """Fields every robot and teleoperator config has.

    ``id`` names this particular unit (``"my_left_arm"``); it selects the calibration file
    ``<calibration_dir>/<id>.json``. ``calibration_dir`` defaults to the LeRobot-compatible
    location (:func:`lr_core.paths.calibration_dir`).
    """

    id: str | None = None
    """Name of this particular unit (e.g. my_left_arm); its calibration file is <id>.json."""
    calibration_dir: Path | None = None
    """Folder of the calibration file <id>.json (default: LeRobot's,
    $HF_LEROBOT_CALIBRATION/<robots or teleoperators>/<family>)."""


class RobotConfig(DeviceConfig):
    """Base of robot configs (``lr.robots``)."""

    registry_group: ClassVar[str | None] = "lr.robots"


class TeleoperatorConfig(DeviceConfig):
    """Base of teleoperator configs (``lr.teleoperators``)."""

    registry_group: ClassVar[str | None] = "lr.teleoperators"
