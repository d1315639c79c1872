"""Config of the OMX follower: LeRobot 0.6.1's fields and defaults."""

from __future__ import annotations

from typing import ClassVar, Literal

from lr_core.devices import CameraConfig, RobotConfig


class OmxFollowerConfig(RobotConfig):
    """``--robot.type=omx_follower``: as the Koch follower's config."""

    type: Literal["omx_follower"] = "omx_follower"
    implementation: ClassVar[str] = "lr_robots.robots.omx_follower.robot:OmxFollower"

    port: str
    """Serial port of the arm's motor bus (e.g. /dev/ttyACM0; lr find-port finds it)."""
    disable_torque_on_disconnect: bool = True
    """Turn the motors' torque off when disconnecting (false: they keep holding)."""
    max_relative_target: float | dict[str, float] | None = None
    """Safety cap on each step's motion, in normalised units: one number for every motor or
    {motor: cap} for each (null: no cap)."""
    cameras: dict[str, CameraConfig] = {}
    """Cameras read with each observation, {name: camera config}."""
    use_degrees: bool = False
    """Body joints in degrees; false (LeRobot's default here): -100..100."""
