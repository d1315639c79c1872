"""``BiSOFollower``: two SO followers as one robot (LeRobot's ``bi_so_follower``).

Observations and actions are the arms' keys with ``left_`` / ``right_`` prefixes; the shared
(top-level) cameras keep their names and are read with the left arm, as LeRobot does. Each
arm keeps its own safety path (calibrated range, ``max_relative_target``) and calibration file
(``<id>_left`` / ``<id>_right`` in ``so_follower``'s folder).
"""

from __future__ import annotations

from functools import cached_property
from typing import Any, ClassVar

from lr_core.errors import ConfigError
from lr_core.features import HardwareFeatures
from lr_core.robot import Robot
from lr_robots.bimanual import BimanualMixin, split_by_side
from lr_robots.robots.bi_so_follower.config import BiSOFollowerConfig
from lr_robots.robots.so_follower.config import SOFollowerConfig, SOFollowerRobotConfig
from lr_robots.robots.so_follower.robot import SOFollower


def _arm_config(
    parent: BiSOFollowerConfig, arm: SOFollowerConfig, side: str, extra_cameras: dict
) -> SOFollowerRobotConfig:
    return SOFollowerRobotConfig(
        **arm.model_dump(exclude={"cameras"}),
        cameras={**arm.cameras, **extra_cameras},
        id=f"{parent.id}_{side}" if parent.id else None,
        calibration_dir=parent.calibration_dir,
    )


class BiSOFollower(BimanualMixin, Robot):
    """Two SO followers (see the module docstring)."""

    config_class: ClassVar[type[BiSOFollowerConfig]] = BiSOFollowerConfig
    name: ClassVar[str] = "bi_so_follower"

    def __init__(self, config: BiSOFollowerConfig) -> None:
        super().__init__(config)
        self.config = config
        self._shared = set(config.cameras)
        clash = self._shared & (
            set(config.left_arm_config.cameras) | set(config.right_arm_config.cameras)
        )
        if clash:
            raise ConfigError(
                f"shared camera names collide with per-arm camera names: {sorted(clash)}"
            )
        self.left_arm = SOFollower(
            _arm_config(config, config.left_arm_config, "left", dict(config.cameras))
        )
        self.right_arm = SOFollower(_arm_config(config, config.right_arm_config, "right", {}))
        self.cameras = {**self.left_arm.cameras, **self.right_arm.cameras}

    def _key(self, side: str, key: str) -> str:
        return key if side == "left" and key in self._shared else f"{side}_{key}"

    # cached_property for Robot's abstract read-only property: pyright calls it incompatible
    # because a cached value may be assigned; nothing assigns it.
    @cached_property
    def observation_features(self) -> HardwareFeatures:  # pyright: ignore[reportIncompatibleMethodOverride]
        """Both arms' observation features, prefixed (shared cameras unprefixed)."""
        return {
            self._key(side, k): v
            for side, arm in zip(("left", "right"), self.arms, strict=True)
            for k, v in arm.observation_features.items()
        }

    @cached_property
    def action_features(self) -> HardwareFeatures:  # pyright: ignore[reportIncompatibleMethodOverride]  # as above
        """``left_<motor>.pos`` then ``right_<motor>.pos``."""
        return {
            f"{side}_{k}": v
            for side, arm in zip(("left", "right"), self.arms, strict=True)
            for k, v in arm.action_features.items()
        }

    def get_observation(self) -> dict[str, Any]:
        """Both arms' observations, prefixed."""
        # both arms are asked before either is read: the two buses answer at once
        pending = [
            (side, arm.start_get_observation())
            for side, arm in zip(("left", "right"), self.arms, strict=True)
        ]
        obs: dict[str, Any] = {}
        for side, collect in pending:
            for key, value in collect().items():
                obs[self._key(side, key)] = value
        return obs

    def send_action(self, action: dict[str, Any]) -> dict[str, Any]:
        """Each arm's part of ``action`` through its own clamps; returns what was sent."""
        parts = split_by_side(action)
        sent: dict[str, Any] = {}
        for side, arm in zip(("left", "right"), self.arms, strict=True):
            sent.update({f"{side}_{k}": v for k, v in arm.send_action(parts[side]).items()})
        return sent
