"""``LeaderArm``: a leader arm on one servo bus, moved by hand to drive a follower.

``get_action`` reads every joint in one SYNC_READ and returns ``{"<motor>.pos": float}`` in the
same normalised units as the follower, so the two can be paired when their calibrations were
made alike. Torque is off on the joints a person moves (only a trigger gripper holds torque).
"""

from __future__ import annotations

import logging
from abc import abstractmethod
from collections.abc import Callable
from typing import Any, ClassVar

from lr_core.errors import DeviceNotConnectedError
from lr_core.features import HardwareFeatures
from lr_core.teleoperator import Teleoperator
from lr_motors.bus import SerialBus
from lr_robots.servo_device import ServoDevice

logger = logging.getLogger(__name__)


class LeaderArm(ServoDevice, Teleoperator):
    """A leader arm (see the module docstring). Subclasses implement :meth:`make_bus` and
    :meth:`configure`."""

    name: ClassVar[str]
    #: whether ``send_feedback`` moves the arm to ``"<motor>.pos"`` goals (SO leaders do)
    accepts_feedback: ClassVar[bool] = False

    def __init__(self, config: Any) -> None:
        Teleoperator.__init__(self, config)
        self.config = config
        self.bus: SerialBus = self.make_bus()

    @abstractmethod
    def make_bus(self) -> SerialBus:
        """The arm's servo bus, given ``self.calibration``."""

    @property
    def action_features(self) -> HardwareFeatures:
        """``<motor>.pos`` floats (the follower's action keys)."""
        return self.motor_features

    @property
    def feedback_features(self) -> HardwareFeatures:
        """The action keys when the arm takes position feedback, else none."""
        return self.motor_features if self.accepts_feedback else {}

    @property
    def is_connected(self) -> bool:
        """Whether the bus is open."""
        return self.bus.is_connected

    def connect(self, calibrate: bool = True) -> None:
        """Open the bus (calibrating when asked and needed), then :meth:`configure`; on
        failure torque is off and the port closed."""
        self.connect_bus(calibrate)
        try:
            with self.named_errors():
                self.configure()
        except BaseException:
            self.abort()
            raise
        logger.info("%s connected", self)

    def get_action(self) -> dict[str, float]:
        """Every joint's position, normalised."""
        return self.start_get_action()()

    def start_get_action(self) -> Callable[[], dict[str, float]]:
        """Ask the servos for their positions now; the function returned collects the
        replies and returns what :meth:`get_action` returns (call it once).

        An lr addition for loops that read two buses in one thread: between the two calls
        the leader's servos answer while the loop reads the follower
        (:func:`lr_robots.control.loops.teleop_loop`). A subclass that changes
        :meth:`get_action` overrides this method instead.

        Raises:
            DeviceNotConnectedError: not connected.
            MotorCommError: (from the function) no valid reply, naming the arm and motor.
        """
        self._require_connected()
        retries = getattr(self.config, "num_read_retries", None)
        with self.named_errors():
            collect = self.bus.start_sync_read("Present_Position", num_retry=retries)

        def finish() -> dict[str, float]:
            with self.named_errors():
                positions = collect()
            return {f"{motor}.pos": float(value) for motor, value in positions.items()}

        return finish

    def send_feedback(self, feedback: dict[str, float]) -> None:
        """Move the leader to ``"<motor>.pos"`` goals (only where :attr:`accepts_feedback`)."""
        self._require_connected()
        if not self.accepts_feedback:
            return
        goals = {k.removesuffix(".pos"): v for k, v in feedback.items() if k.endswith(".pos")}
        if goals:
            with self.named_errors():
                self.bus.sync_write("Goal_Position", goals)

    def disconnect(self) -> None:
        """Torque off on every motor that answers and close the port."""
        if not self.bus.is_connected:
            raise DeviceNotConnectedError(f"{self.label} is not connected")
        try:
            with self.named_errors():
                self.bus.disconnect(disable_torque=True)
        finally:
            if self.bus.is_connected:
                self.bus.transport.close()
        logger.info("%s disconnected", self)

    def enable_torque(self) -> None:
        """Torque on (LeRobot's leader method)."""
        with self.named_errors():
            self.bus.enable_torque()

    def disable_torque(self) -> None:
        """Torque off (LeRobot's leader method)."""
        with self.named_errors():
            self.bus.disable_torque()
