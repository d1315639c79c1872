"""``LeKiwiLeader``: a leader arm and the keyboard as one teleoperator for LeKiwi.

LeRobot 0.6.1 pairs them in a script (``examples/lekiwi/teleoperate.py``) and in
``lerobot-record`` with a list of two teleoperators: the arm's action keys get the ``arm_``
prefix and the keyboard's keys become base velocities through ``LeKiwiClient.
_from_keyboard_to_base_action``. As one teleoperator the same pairing works from the command
line::

    lr teleoperate --robot.type=lekiwi_client --robot.remote_ip=192.168.1.42 \\
        --teleop.type=lekiwi_leader --teleop.arm.type=so101_leader \\
        --teleop.arm.port=/dev/ttyACM0 --teleop.arm.id=blue

Actions: ``arm_<joint>.pos`` from the leader, then ``x.vel`` / ``y.vel`` (m/s) and
``theta.vel`` (deg/s) from the keys held (:class:`~lr_robots.teleoperators.keyboard.holonomic.
LeKiwiBaseKeys`: w/s, a/d, z/x; r/f change the speed level).
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar

from lr_core.errors import DeviceNotConnectedError
from lr_core.features import HardwareFeatures
from lr_core.teleoperator import Teleoperator
from lr_robots.devices import make_teleoperator_from_config
from lr_robots.teleoperators.keyboard.config import KeyboardBaseTeleopConfig
from lr_robots.teleoperators.keyboard.holonomic import KeyboardBaseTeleop
from lr_robots.teleoperators.lekiwi_leader.config import LeKiwiLeaderConfig

logger = logging.getLogger(__name__)

PREFIX = "arm_"


class LeKiwiLeader(Teleoperator):
    """See the module docstring; config :class:`LeKiwiLeaderConfig`."""

    config_class: ClassVar[type[LeKiwiLeaderConfig]] = LeKiwiLeaderConfig
    name: ClassVar[str] = "lekiwi_leader"

    def __init__(self, config: LeKiwiLeaderConfig) -> None:
        super().__init__(config)
        self.config: LeKiwiLeaderConfig = config
        self.arm: Teleoperator | None = (
            make_teleoperator_from_config(config.arm) if config.arm is not None else None
        )
        self.keyboard = KeyboardBaseTeleop(
            KeyboardBaseTeleopConfig(
                id=config.id, backend=config.backend, hold_s=config.hold_s,
                teleop_keys=config.teleop_keys, speed_levels=config.speed_levels,
            )
        )  # fmt: skip

    def __str__(self) -> str:
        return f"lekiwi_leader({self.arm or 'no arm'} + keyboard)"

    @property
    def action_features(self) -> HardwareFeatures:
        """``arm_<joint>.pos`` (the leader's keys, prefixed), ``x.vel``, ``y.vel``,
        ``theta.vel``."""
        arm = self.arm.action_features if self.arm is not None else {}
        return {**{PREFIX + k: v for k, v in arm.items()}, **self.keyboard.action_features}

    @property
    def feedback_features(self) -> HardwareFeatures:
        """The arm's feedback keys, prefixed."""
        arm = self.arm.feedback_features if self.arm is not None else {}
        return {PREFIX + k: v for k, v in arm.items()}

    @property
    def is_connected(self) -> bool:
        """Whether the arm (if any) and the keyboard are connected."""
        arm_ok = self.arm is None or self.arm.is_connected
        return arm_ok and self.keyboard.is_connected

    @property
    def is_calibrated(self) -> bool:
        """Whether the leader arm holds its calibration (the keyboard needs none)."""
        return self.arm is None or self.arm.is_calibrated

    @property
    def quit_requested(self) -> bool:
        """Whether the ``quit`` key is held."""
        return self.keyboard.quit_requested

    def connect(self, calibrate: bool = True) -> None:
        """Connect the leader arm (calibrating it when asked and needed), then the keyboard;
        if the keyboard fails the arm is disconnected again."""
        if self.arm is not None:
            self.arm.connect(calibrate)
        try:
            self.keyboard.connect()
        except BaseException:
            if self.arm is not None and self.arm.is_connected:
                self.arm.disconnect()
            raise

    def calibrate(self) -> None:
        """Calibrate the leader arm (LeRobot's procedure of its type)."""
        if self.arm is not None:
            self.arm.calibrate()

    def configure(self) -> None:
        """Nothing beyond what connecting each part does."""

    def get_action(self) -> dict[str, Any]:
        """The leader's positions (prefixed) and the base velocities of the keys held."""
        action: dict[str, Any] = {}
        if self.arm is not None:
            action.update({PREFIX + k: v for k, v in self.arm.get_action().items()})
        action.update(self.keyboard.get_action())
        return action

    def send_feedback(self, feedback: dict[str, Any]) -> None:
        """The ``arm_*`` part of ``feedback``, unprefixed, to the leader arm."""
        if self.arm is not None:
            part = {k[len(PREFIX) :]: v for k, v in feedback.items() if k.startswith(PREFIX)}
            if part:
                self.arm.send_feedback(part)

    def disconnect(self) -> None:
        """Disconnect the keyboard and the arm (both are tried; the first error is raised)."""
        if not (self.keyboard.is_connected or (self.arm is not None and self.arm.is_connected)):
            raise DeviceNotConnectedError(f"{self} is not connected")
        error: BaseException | None = None
        for part in (self.keyboard, self.arm):
            if part is None or not part.is_connected:
                continue
            try:
                part.disconnect()
            except Exception as exc:
                logger.error("%s: could not disconnect %s: %s", self, part, exc)
                error = error or exc
        if error is not None:
            raise error
