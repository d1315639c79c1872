"""Build cameras from their configs (the ``cameras`` field of a robot config)."""

from __future__ import annotations

from collections.abc import Mapping

from lr_core.camera import Camera
from lr_core.devices import CameraConfig


def make_cameras_from_configs(configs: Mapping[str, CameraConfig]) -> dict[str, Camera]:
    """One camera per key, each built by the class its config names (LeRobot's function name).

    Raises:
        PluginError: a config names an implementation that cannot be imported (for example an
            optional extra is missing; the message names it).
    """
    return {key: cfg.implementation_class()(cfg) for key, cfg in configs.items()}
