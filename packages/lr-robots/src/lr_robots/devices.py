"""Build robots and teleoperators from their configs (LeRobot's factory names), and the camera
features a robot declares before it connects. Cameras are built by
:func:`lr_robots.cameras.make_cameras_from_configs`, re-exported here.

A config names its implementation lazily (:class:`lr_core.config.PluginConfig`), so a plugin
distribution registered under ``lr.robots`` / ``lr.teleoperators`` / ``lr.cameras`` is built
exactly like a built-in one: no if/elif over type names.
"""

from __future__ import annotations

from collections.abc import Mapping

from lr_core.devices import CameraConfig, RobotConfig, TeleoperatorConfig
from lr_core.errors import PluginError
from lr_core.robot import Robot
from lr_core.teleoperator import Teleoperator
from lr_robots.cameras.factory import make_cameras_from_configs

__all__ = [
    "camera_features",
    "make_cameras_from_configs",
    "make_robot_from_config",
    "make_teleoperator_from_config",
]


def _build(config: object, base: type, what: str) -> object:
    cls = type(config).implementation_class()  # type: ignore[attr-defined]
    if not (isinstance(cls, type) and issubclass(cls, base)):
        raise PluginError(
            f"{what} type {config.type!r} names {cls!r}, which is not a {base.__name__}"  # type: ignore[attr-defined]
        )
    return cls(config)


def make_robot_from_config(config: RobotConfig) -> Robot:
    """The robot ``config`` describes (its registered implementation class)."""
    robot = _build(config, Robot, "robot")
    assert isinstance(robot, Robot)
    return robot


def make_teleoperator_from_config(config: TeleoperatorConfig) -> Teleoperator:
    """The teleoperator ``config`` describes."""
    teleop = _build(config, Teleoperator, "teleoperator")
    assert isinstance(teleop, Teleoperator)
    return teleop


def camera_features(configs: Mapping[str, CameraConfig]) -> dict[str, tuple[int, int, int]]:
    """``{name: (height, width, 3)}`` (and ``<name>_depth: (h, w, 1)`` for depth cameras) from
    the configs alone, so features are known while disconnected (LeRobot's ``_cameras_ft``).

    Raises :class:`~lr_core.errors.ConfigError` naming a camera whose size is not set.
    """
    from lr_core.errors import ConfigError

    out: dict[str, tuple[int, int, int]] = {}
    for key, cfg in configs.items():
        if cfg.height is None or cfg.width is None:
            raise ConfigError(
                f"camera {key!r} ({cfg.type}) has no width/height: set both so the robot's "
                "features are known before it connects"
            )
        if getattr(cfg, "use_rgb", True):
            out[key] = (cfg.height, cfg.width, 3)
        if getattr(cfg, "use_depth", False):
            out[f"{key}_depth"] = (cfg.height, cfg.width, 1)
    return out
