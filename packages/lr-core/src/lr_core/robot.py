"""The contract every robot implements (real arms, mobile bases, simulated robots)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from types import TracebackType
from typing import Any, ClassVar, Self

from lr_core.devices import RobotConfig
from lr_core.features import HardwareFeatures
from lr_core.motors import Calibration, load_calibration, save_calibration
from lr_core.paths import calibration_dir


class Robot(ABC):
    """A robot: reads observations, executes actions.

    Observations and actions are flat dicts keyed by hardware names: ``"shoulder_pan.pos"`` →
    float (normalised motor units), ``"front"`` → ``(H, W, 3)`` uint8 RGB image. The
    ``*_features`` properties describe them and must work while disconnected.
    """

    config_class: ClassVar[type[RobotConfig]]
    #: The robot family name written into datasets as ``robot_type`` (``"so_follower"``).
    name: ClassVar[str]

    def __init__(self, config: RobotConfig) -> None:
        self.config = config
        self.robot_type = self.name
        self.id = config.id
        self.calibration_dir = (
            Path(config.calibration_dir)
            if config.calibration_dir
            else calibration_dir("robots", self.name)
        )
        self.calibration_fpath = self.calibration_dir / f"{self.id}.json"
        self.calibration: Calibration = {}
        if self.calibration_fpath.is_file():
            self.calibration = load_calibration(self.calibration_fpath)

    @property
    @abstractmethod
    def observation_features(self) -> HardwareFeatures:
        """Observation keys → ``float`` or an ``(H, W, C)`` shape."""

    @property
    @abstractmethod
    def action_features(self) -> HardwareFeatures:
        """Action keys → ``float``."""

    @property
    @abstractmethod
    def is_connected(self) -> bool:
        """Whether every part of the robot is connected."""

    @abstractmethod
    def connect(self, calibrate: bool = True) -> None:
        """Connect; calibrate first when ``calibrate`` and no calibration matches."""

    @property
    @abstractmethod
    def is_calibrated(self) -> bool:
        """Whether the hardware holds this robot's calibration."""

    @abstractmethod
    def calibrate(self) -> None:
        """Run the (interactive) calibration and save it to ``calibration_fpath``."""

    @abstractmethod
    def configure(self) -> None:
        """Write run-time settings (PID gains, operating modes...) after connecting."""

    @abstractmethod
    def get_observation(self) -> dict[str, Any]:
        """The current observation, keyed as in :attr:`observation_features`."""

    @abstractmethod
    def send_action(self, action: dict[str, Any]) -> dict[str, Any]:
        """Execute ``action``; return the action actually sent (after safety clamping)."""

    @abstractmethod
    def disconnect(self) -> None:
        """Stop safely (torque off unless configured otherwise) and release the hardware."""

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

    def __repr__(self) -> str:
        return f"{type(self).__name__}(id={self.id!r})"
