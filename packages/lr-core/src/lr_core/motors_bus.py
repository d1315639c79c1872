"""The contract every servo bus implements (Feetech, Dynamixel, third-party buses)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Generator, Mapping, Sequence
from contextlib import contextmanager

from lr_core.motors import Calibration, Motor

#: A register value: raw ticks (int) or a normalised value (float, in the motor's norm mode).
Value = int | float


class MotorsBus(ABC):
    """A serial bus of servos addressed by motor *name*.

    Register names are the vendor's control-table names (``"Goal_Position"``). With
    ``normalize=True`` the position registers are converted between raw ticks and the motor's
    :class:`~lr_core.motors.MotorNormMode` using the bus calibration; values written are
    clamped to the calibrated range. Implementations must leave torque disabled when
    ``connect`` or ``configure`` fails part-way.
    """

    motors: dict[str, Motor]
    calibration: Calibration

    @property
    @abstractmethod
    def port(self) -> str:
        """The serial port (``/dev/ttyACM0``, ``/dev/pts/5``, ``COM3``)."""

    @property
    @abstractmethod
    def is_connected(self) -> bool:
        """Whether the port is open."""

    @abstractmethod
    def connect(self, handshake: bool = True) -> None:
        """Open the port; with ``handshake``, ping every motor and check its model number.

        Raises an error naming every missing or mismatched motor and the port.
        """

    @abstractmethod
    def disconnect(self, disable_torque: bool = True) -> None:
        """Optionally disable torque on every motor, then close the port."""

    @abstractmethod
    def read(self, data_name: str, motor: str, *, normalize: bool = True) -> Value:
        """Read one register of one motor."""

    @abstractmethod
    def write(self, data_name: str, motor: str, value: Value, *, normalize: bool = True) -> None:
        """Write one register of one motor and wait for its acknowledgement."""

    @abstractmethod
    def sync_read(
        self, data_name: str, motors: Sequence[str] | None = None, *, normalize: bool = True
    ) -> dict[str, Value]:
        """Read one register from many motors in one transaction (all motors by default)."""

    @abstractmethod
    def sync_write(
        self, data_name: str, values: Mapping[str, Value] | Value, *, normalize: bool = True
    ) -> None:
        """Write one register on many motors in one packet (a scalar goes to every motor)."""

    @abstractmethod
    def enable_torque(self, motors: Sequence[str] | None = None) -> None:
        """Enable torque (all motors by default)."""

    @abstractmethod
    def disable_torque(self, motors: Sequence[str] | None = None) -> None:
        """Disable torque (all motors by default)."""

    @abstractmethod
    def setup_motor(self, motor: str, initial_baudrate: int | None = None) -> None:
        """Find the single connected motor at any baud rate; give it ``motor``'s id and the
        bus baud rate."""

    @abstractmethod
    def read_calibration(self) -> Calibration:
        """Read the calibration stored in the motors' registers."""

    @abstractmethod
    def write_calibration(self, calibration: Mapping[str, object], cache: bool = True) -> None:
        """Write a calibration to the motors (and keep it as the bus calibration)."""

    @property
    def is_calibrated(self) -> bool:
        """Whether the motors' registers hold the bus calibration."""
        return self.read_calibration() == self.calibration

    @contextmanager
    def torque_disabled(self, motors: Sequence[str] | None = None) -> Generator[None]:
        """Disable torque for the block (EEPROM writes need it), then enable it again."""
        self.disable_torque(motors)
        try:
            yield
        finally:
            self.enable_torque(motors)
