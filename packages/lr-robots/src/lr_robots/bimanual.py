"""Two arms as one device (ALOHA-style): what bimanual robots and teleoperators share.

Keys get ``left_`` / ``right_`` prefixes, the arms' ids ``<id>_left`` / ``<id>_right`` (so their
calibration files are the single arms' files). Connecting is all or nothing: when the second arm
fails, the first is disconnected (torque off) before the error propagates; disconnecting tries
both arms and raises the first error after.
"""

from __future__ import annotations

import logging
from typing import Any

from lr_core.errors import DeviceAlreadyConnectedError, DeviceNotConnectedError

logger = logging.getLogger(__name__)

SIDES = ("left", "right")


def split_by_side(values: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """``{"left_x": 1, "right_x": 2}`` → ``{"left": {"x": 1}, "right": {"x": 2}}``."""
    out: dict[str, dict[str, Any]] = {side: {} for side in SIDES}
    for key, value in values.items():
        for side in SIDES:
            if key.startswith(f"{side}_"):
                out[side][key.removeprefix(f"{side}_")] = value
    return out


class BimanualMixin:
    """Lifecycle delegation to ``self.left_arm`` and ``self.right_arm`` (LeRobot's mixin, made
    all-or-nothing). Inherit before the Robot / Teleoperator base."""

    left_arm: Any
    right_arm: Any

    @property
    def arms(self) -> tuple[Any, Any]:
        """``(left_arm, right_arm)``."""
        return self.left_arm, self.right_arm

    @property
    def is_connected(self) -> bool:
        """Whether both arms are connected."""
        return self.left_arm.is_connected and self.right_arm.is_connected

    @property
    def is_calibrated(self) -> bool:
        """Whether both arms are calibrated."""
        return self.left_arm.is_calibrated and self.right_arm.is_calibrated

    def connect(self, calibrate: bool = True) -> None:
        """Connect the left arm, then the right; a failure disconnects what was connected."""
        if self.left_arm.is_connected or self.right_arm.is_connected:
            raise DeviceAlreadyConnectedError(f"{self} is already connected")
        done = []
        try:
            for arm in self.arms:
                arm.connect(calibrate)
                done.append(arm)
        except BaseException:
            for arm in done:
                try:
                    arm.disconnect()
                except Exception as exc:
                    logger.error("%s: disconnect after a failed connect: %s", arm, exc)
            raise

    def calibrate(self) -> None:
        """Calibrate the left arm, then the right."""
        for arm in self.arms:
            arm.calibrate()

    def configure(self) -> None:
        """Configure both arms."""
        for arm in self.arms:
            arm.configure()

    def disconnect(self) -> None:
        """Disconnect both arms (each tried even when the other fails)."""
        errors: list[BaseException] = []
        tried = 0
        for arm in self.arms:
            try:
                arm.disconnect()
                tried += 1
            except DeviceNotConnectedError:
                continue
            except Exception as exc:
                tried += 1
                errors.append(exc)
        if errors:
            raise errors[0]
        if not tried:
            raise DeviceNotConnectedError(f"{self} is not connected")
