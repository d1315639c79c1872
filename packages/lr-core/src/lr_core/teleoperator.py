"""The contract every teleoperator implements (leader arms, keyboards, gamepads)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from types import TracebackType
from typing import Any, ClassVar, Self

from lr_core.devices import TeleoperatorConfig
from lr_core.features import HardwareFeatures
from lr_core.motors import Calibration, load_calibration, save_calibration
from lr_core.paths import calibration_dir


class Teleoperator(ABC):
    """A device a human drives to produce actions for a robot."""

    config_class: ClassVar[type[TeleoperatorConfig]]
    #: The teleoperator family name (``"so_leader"``).
    name: ClassVar[str]

    def __init__(self, config: TeleoperatorConfig) -> None:
        self.config = config
        self.id = config.id
        self.calibration_dir = (
            Path(config.calibration_dir)
            if config.calibration_dir
            else calibration_dir("teleoperators", self.name)
        )
        self.calibration_fpath = self.calibration_dir / f"{self.id}.json"
        self.calibration: Calibration = {}
        if self.calibration_fpath.is_file():
            self.calibration = load_calibration(self.calibration_fpath)

    @property
    @abstractmethod
    def action_features(self) -> HardwareFeatures:
        """Action keys → ``float`` (matching the robot's ``action_features``)."""

    @property
    @abstractmethod
    def feedback_features(self) -> HardwareFeatures:
        """Feedback keys the device accepts (may be empty)."""

    @property
    @abstractmethod
    def is_connected(self) -> bool:
        """Whether the device is connected."""

    @abstractmethod
    def connect(self, calibrate: bool = True) -> None:
        """Connect; calibrate first when ``calibrate`` and no calibration matches."""

    @property
    @abstractmethod
    def is_calibrated(self) -> bool:
        """Whether the device holds its calibration."""

    @abstractmethod
    def calibrate(self) -> None:
        """Run the (interactive) calibration and save it."""

    @abstractmethod
    def configure(self) -> None:
        """Write run-time settings after connecting."""

    @abstractmethod
    def get_action(self) -> dict[str, Any]:
        """The current action, keyed as in :attr:`action_features`."""

    @abstractmethod
    def send_feedback(self, feedback: dict[str, Any]) -> None:
        """Send feedback (forces, positions) to the device."""

    @abstractmethod
    def disconnect(self) -> None:
        """Release the device."""

    def observe(self, observation: dict[str, Any]) -> None:
        """The robot's newest observation, which control loops pass before each
        :meth:`get_action`.

        Teleoperators whose actions depend on where the robot is (a keyboard jogging joints,
        end-effector control through inverse kinematics) read the positions here; others
        ignore it (the default). Unlike :meth:`send_feedback` it never drives the device.
        """
        del observation

    def save_calibration(self) -> None:
        """Write :attr:`calibration` to :attr:`calibration_fpath`."""
        save_calibration(self.calibration_fpath, self.calibration)

    def __enter__(self) -> Self:
        self.connect()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.is_connected:
            self.disconnect()
