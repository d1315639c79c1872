"""Config of the OMX follower: LeRobot 0.6.1's fields and defaults."""

from __future__ import annotations

from typing import ClassVar, Literal

from lr_core.devices import CameraConfig, RobotConfig


class OmxFollowerConfig(RobotConfig):
    """``--robot.type=omx_follower``: as the Koch follower's config."""

    type: Literal["omx_follower"] = "omx_follower"
    implementation: ClassVar[str] = "lr_robots.robots.omx_follower.robot:OmxFollower"

    port: str
    disable_torque_on_disconnect: bool = True
    max_relative_target: float | dict[str, float] | None = None
    cameras: dict[str, CameraConfig] = {}
    use_degrees: bool = False
