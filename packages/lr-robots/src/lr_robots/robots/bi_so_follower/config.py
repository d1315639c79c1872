"""Config of the bimanual SO follower: LeRobot 0.6.1's fields."""

from __future__ import annotations

from typing import ClassVar, Literal

from lr_core.devices import CameraConfig, RobotConfig
from lr_robots.robots.so_follower.config import SOFollowerConfig


class BiSOFollowerConfig(RobotConfig):
    """``--robot.type=bi_so_follower --robot.left_arm_config.port=... --robot.right_arm_config
    .port=...``. ``cameras`` are shared (keys kept as they are); each arm's own cameras get its
    ``left_`` / ``right_`` prefix."""

    type: Literal["bi_so_follower"] = "bi_so_follower"
    implementation: ClassVar[str] = "lr_robots.robots.bi_so_follower.robot:BiSOFollower"

    left_arm_config: SOFollowerConfig
    """The left arm (its actions and observations are prefixed left_)."""
    right_arm_config: SOFollowerConfig
    """The right arm (its actions and observations are prefixed right_)."""
    cameras: dict[str, CameraConfig] = {}
    """Cameras shared by both arms, {name: camera config} (names kept as they are)."""
