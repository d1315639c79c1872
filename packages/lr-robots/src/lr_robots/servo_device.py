"""What every device made of one servo bus shares: follower arms, leader arms, HopeJR.

:class:`ServoDevice` is mixed into a :class:`~lr_core.robot.Robot` or a
:class:`~lr_core.teleoperator.Teleoperator`. It owns the calibration flow (LeRobot's: reuse the
file or recalibrate, half-turn homing, range recording, save), the connect sequence that leaves
the arm safe when any step fails, and errors that name the arm as well as the motor and port.

Interaction goes through :func:`lr_core.prompts.ask` and Enter on stdin (the range recording
stops when a line arrives), so ``lr calibrate`` is scriptable: a test writes lines to the process
and moves the emulated servos in between.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from lr_core.errors import (
    CalibrationError,
    DeviceAlreadyConnectedError,
    DeviceNotConnectedError,
    HardwareError,
    NoTerminalError,
)
from lr_core.motors import Calibration
from lr_motors.bus import SerialBus

logger = logging.getLogger(__name__)


def renamed(exc: BaseException, message: str) -> BaseException:
    """``exc`` with ``message``, of the same type when the type takes a message alone."""
    try:
        new = type(exc)(message)
    except Exception:
        exc.add_note(message)
        return exc
    new.__cause__ = exc
    return new


class NoTerminalCalibrationError(CalibrationError, NoTerminalError):
    """A device needs calibrating and nobody can answer its questions (standard input closed):
    caught as either a :class:`~lr_core.errors.CalibrationError` or a
    :class:`~lr_core.errors.NoTerminalError`."""


class ServoDevice:
    """Mixin for a device on one servo bus (see the module docstring).

    Subclasses set :attr:`bus` in ``__init__`` and may override :meth:`prepare_calibration`
    (operating and drive modes written before homing), :attr:`full_turn_motors` and
    :attr:`calibration_drive_modes`, or :meth:`run_calibration` as a whole.
    """

    name: ClassVar[str]
    #: motors that turn freely: their range is the whole encoder, not recorded
    full_turn_motors: ClassVar[tuple[str, ...]] = ()
    #: ``drive_mode`` written into the calibration per motor (1 = inverted)
    calibration_drive_modes: ClassVar[dict[str, int]] = {}

    bus: SerialBus
    calibration: Calibration
    id: str | None
    config: Any
    #: from :class:`~lr_core.robot.Robot` / :class:`~lr_core.teleoperator.Teleoperator`
    calibration_fpath: Path

    if TYPE_CHECKING:  # defined by Robot / Teleoperator, which every ServoDevice also is

        def save_calibration(self) -> None: ...

    # naming ---------------------------------------------------------------------------------
    @property
    def label(self) -> str:
        """``"so_follower 'black' on /dev/ttyACM0"``: what errors call this arm."""
        return f"{self.name} {self.id!r} on {self.bus.port}"

    def __str__(self) -> str:
        return f"{self.id} {type(self).__name__}"

    @contextmanager
    def named_errors(self) -> Iterator[None]:
        """Re-raise hardware errors with the arm's name in front of their message."""
        try:
            yield
        except HardwareError as exc:
            if self.label in str(exc):
                raise
            raise renamed(exc, f"{self.label}: {exc}") from exc

    # connection -----------------------------------------------------------------------------
    def _require_connected(self) -> None:
        if not self.bus.is_connected:
            raise DeviceNotConnectedError(f"{self.label} is not connected; call connect() first")

    def connect_bus(self, calibrate: bool) -> None:
        """Open the bus (the handshake names missing motors), then calibrate when asked and
        the motors do not hold this arm's calibration. On failure the arm is left with torque
        off and the port closed."""
        if self.bus.is_connected:
            raise DeviceAlreadyConnectedError(f"{self.label} is already connected")
        with self.named_errors():
            self.bus.connect()
            try:
                if calibrate and not self.is_calibrated:
                    logger.info(
                        "%s: the motors do not hold the calibration of file %s; calibrating",
                        self.label,
                        self.calibration_fpath,
                    )
                    self.calibrate()  # its prompts go through ask(): no terminal is a clear error
            except BaseException:
                self.abort()
                raise

    def abort(self) -> None:
        """Best effort after a failure: torque off on every motor that answers, port closed."""
        if not self.bus.is_connected:
            return
        try:
            self.bus.disable_torque(num_retry=1)
        except HardwareError as exc:
            logger.warning("%s: torque off after a failure: %s", self.label, exc)
        finally:
            self.bus.transport.close()

    @property
    def is_calibrated(self) -> bool:
        """Whether the motors' registers hold this arm's calibration."""
        with self.named_errors():
            return self.bus.is_calibrated

    # calibration ----------------------------------------------------------------------------
    def calibrate(self) -> None:
        """LeRobot's flow: with a calibration file, Enter writes it to the motors and 'c'
        recalibrates; otherwise run the calibration, write it and save the file."""
        self._require_connected()
        with self.named_errors():
            if self.calibration:
                answer = self.ask(
                    "Press ENTER to use provided calibration file associated with the id "
                    f"{self.id}, or type 'c' and press ENTER to run calibration: "
                )
                if answer.strip().lower() != "c":
                    logger.info("%s: writing calibration file %s to the motors", self.label,
                                self.calibration_fpath)  # fmt: skip
                    self.bus.disable_torque()
                    self.bus.write_calibration(self.calibration)
                    return
            print(f"\nRunning calibration of {self}")
            self.calibration = self.run_calibration()
            self.bus.calibration = dict(self.calibration)
            self.save_calibration()
            print(f"Calibration saved to {self.calibration_fpath}")

    def prepare_calibration(self) -> None:
        """Registers written (torque off) before homing: operating and drive modes."""

    def run_calibration(self) -> Calibration:
        """Half-turn homing and range recording (:func:`lr_motors.calibration.calibrate`);
        returns the calibration written to the motors."""
        from lr_motors.calibration import calibrate

        self.bus.disable_torque()
        self.prepare_calibration()
        return calibrate(
            self.bus,
            full_turn_motors=self.full_turn_motors,
            drive_modes=dict(self.calibration_drive_modes),
            device=str(self),
            prompt=self.ask,
        )

    def ask(self, question: str) -> str:
        """:func:`lr_core.prompts.ask`; with no terminal to answer (stdin closed: a service, a
        pipe, a script) a :class:`NoTerminalCalibrationError` (a ``CalibrationError`` and a
        ``NoTerminalError``) that names the arm, its calibration file and the command that
        calibrates it, instead of an ``EOFError`` traceback."""
        from lr_core.prompts import ask

        try:
            return ask(question, f"calibrating {self.label}")
        except NoTerminalError:
            from lr_core.robot import Robot

            kind = "robot" if isinstance(self, Robot) else "teleop"
            kind_type = getattr(self.config, "type", self.name)
            raise NoTerminalCalibrationError(
                f"{self.label} needs calibrating, which asks questions, but nothing can answer "
                f"them (standard input is closed): the motors do not hold the calibration in "
                f"{getattr(self, 'calibration_fpath', 'its calibration file')}. Run `lr calibrate "
                f"--{kind}.type={kind_type} --{kind}.port={self.bus.port} --{kind}.id={self.id}` "
                f"in a terminal first."
            ) from None

    # helpers --------------------------------------------------------------------------------
    @property
    def motor_features(self) -> dict[str, type]:
        """``{"<motor>.pos": float}`` in bus order."""
        return {f"{motor}.pos": float for motor in self.bus.motors}

    def write_all(self, data_name: str, value: int, motors: Sequence[str] | None = None) -> None:
        """Write ``value`` to ``data_name`` of ``motors`` (all by default), checked first."""
        names = list(self.bus.motors) if motors is None else list(motors)
        self.bus.apply(self.bus.plan([(m, data_name, value) for m in names]))
