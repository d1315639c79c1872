"""What every keyboard teleoperator shares: opening the shared keyboard, connection state, the
no-op calibration, and the time between two actions."""

from __future__ import annotations

import time
from typing import Any, ClassVar

from lr_core.errors import DeviceAlreadyConnectedError, DeviceNotConnectedError
from lr_core.features import HardwareFeatures
from lr_core.teleoperator import Teleoperator
from lr_robots.keyboard.hub import Keyboard, choose_backend, open_keyboard
from lr_robots.teleoperators.keyboard.config import KeyboardInputConfig

#: The longest step a held key integrates (s): a stalled loop does not make the arm jump.
MAX_DT_S = 0.1


class KeyboardDevice(Teleoperator):
    """Base of the keyboard teleoperators (no calibration, no feedback)."""

    config_class: ClassVar[type[KeyboardInputConfig]]

    def __init__(self, config: KeyboardInputConfig) -> None:
        super().__init__(config)
        self.config: KeyboardInputConfig = config
        self.keyboard: Keyboard | None = None
        self._last_step: float | None = None
        self.logs: dict[str, float] = {}

    def __str__(self) -> str:
        return f"{type(self).__name__}({self.config.type})"

    @property
    def feedback_features(self) -> HardwareFeatures:
        """None: a keyboard takes no feedback."""
        return {}

    @property
    def keys_used(self) -> frozenset[str]:
        """The keys this teleoperator reads; ``lr record`` leaves them out of its controls."""
        return frozenset()

    @property
    def is_connected(self) -> bool:
        """Whether the keyboard is open."""
        return self.keyboard is not None

    @property
    def is_calibrated(self) -> bool:
        """Always true: nothing to calibrate."""
        return True

    def connect(self, calibrate: bool = True) -> None:
        """Open the keyboard (the terminal or pynput, see ``backend``).

        Raises:
            DeviceAlreadyConnectedError; HardwareError when there is no terminal/display.
        """
        if self.keyboard is not None:
            raise DeviceAlreadyConnectedError(f"{self} is already connected")
        backend = self.config.backend
        terminal = choose_backend(backend) == "terminal"
        options: dict[str, Any] = {"hold_s": self.config.hold_s} if terminal else {}
        self.keyboard = open_keyboard(backend, **options)
        self._last_step = None
        self.configure()

    def calibrate(self) -> None:
        """Nothing to calibrate."""

    def configure(self) -> None:
        """Nothing to configure."""

    def send_feedback(self, feedback: dict[str, Any]) -> None:
        """A keyboard takes no feedback."""

    def disconnect(self) -> None:
        """Close the keyboard (the terminal is restored when its last user closes it)."""
        if self.keyboard is None:
            raise DeviceNotConnectedError(f"{self} is not connected")
        self.keyboard.close()
        self.keyboard = None

    def _keys(self) -> frozenset[str]:
        if self.keyboard is None:
            raise DeviceNotConnectedError(f"{self} is not connected")
        return self.keyboard.pressed()

    def _dt(self) -> float:
        """Seconds since the previous action (0 for the first), at most :data:`MAX_DT_S`."""
        now = time.perf_counter()
        dt = 0.0 if self._last_step is None else min(now - self._last_step, MAX_DT_S)
        self._last_step = now
        return dt
