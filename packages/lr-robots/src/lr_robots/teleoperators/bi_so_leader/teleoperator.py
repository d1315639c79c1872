"""``BiSOLeader``: two SO leaders as one teleoperator (LeRobot's ``bi_so_leader``); actions
``left_<motor>.pos`` / ``right_<motor>.pos``, arm ids ``<id>_left`` / ``<id>_right``."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from lr_core.features import HardwareFeatures
from lr_core.teleoperator import Teleoperator
from lr_robots.bimanual import BimanualMixin, split_by_side
from lr_robots.teleoperators.bi_so_leader.config import BiSOLeaderConfig
from lr_robots.teleoperators.so_leader.config import SOLeaderConfig, SOLeaderTeleopConfig
from lr_robots.teleoperators.so_leader.teleoperator import SOLeader


def _arm_config(parent: BiSOLeaderConfig, arm: SOLeaderConfig, side: str) -> SOLeaderTeleopConfig:
    return SOLeaderTeleopConfig(
        **arm.model_dump(),
        id=f"{parent.id}_{side}" if parent.id else None,
        calibration_dir=parent.calibration_dir,
    )


class BiSOLeader(BimanualMixin, Teleoperator):
    """Two SO leaders (see the module docstring)."""

    config_class: ClassVar[type[BiSOLeaderConfig]] = BiSOLeaderConfig
    name: ClassVar[str] = "bi_so_leader"

    def __init__(self, config: BiSOLeaderConfig) -> None:
        super().__init__(config)
        self.config = config
        self.left_arm = SOLeader(_arm_config(config, config.left_arm_config, "left"))
        self.right_arm = SOLeader(_arm_config(config, config.right_arm_config, "right"))

    @property
    def action_features(self) -> HardwareFeatures:
        """``left_<motor>.pos`` then ``right_<motor>.pos``."""
        return {
            f"{side}_{k}": v
            for side, arm in zip(("left", "right"), self.arms, strict=True)
            for k, v in arm.action_features.items()
        }

    @property
    def feedback_features(self) -> HardwareFeatures:
        """The action keys (each SO leader takes position feedback)."""
        return self.action_features

    def get_action(self) -> dict[str, float]:
        """Both arms' positions, prefixed."""
        return self.start_get_action()()

    def start_get_action(self) -> Callable[[], dict[str, float]]:
        """Ask both arms now (their two buses answer at once); the function returned collects
        both replies (see :meth:`lr_robots.teleoperators.leader.LeaderArm.start_get_action`)."""
        pending = [
            (side, arm.start_get_action())
            for side, arm in zip(("left", "right"), self.arms, strict=True)
        ]

        def finish() -> dict[str, float]:
            action: dict[str, float] = {}
            for side, collect in pending:
                action.update({f"{side}_{k}": v for k, v in collect().items()})
            return action

        return finish

    def send_feedback(self, feedback: dict[str, float]) -> None:
        """Each arm's part of ``feedback``."""
        parts = split_by_side(feedback)
        for side, arm in zip(("left", "right"), self.arms, strict=True):
            if parts[side]:
                arm.send_feedback(parts[side])
