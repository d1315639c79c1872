"""What Feetech and Dynamixel buses share: motors by name, retries, normalisation, safety.

:class:`SerialBus` implements :class:`lr_core.motors_bus.MotorsBus` on top of a vendor
:class:`~lr_motors.transport.Transport`. It retries failed transactions (``retries`` per call,
counted in :attr:`SerialBus.stats`), names motor, register and port in every error, verifies
EEPROM writes by reading them back, and disables torque when ``connect`` or
``configure_motors`` fails part-way. Transactions are serialised by a lock, so threads may
share a bus. :meth:`SerialBus.start_sync_read` splits a SYNC_READ in two (request now, replies
later) so one thread can keep requests to several buses in flight at once.
"""

from __future__ import annotations

import logging
import threading
from abc import abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import ClassVar, TypeVar

from lr_core.errors import (
    CalibrationError,
    DeviceAlreadyConnectedError,
    DeviceNotConnectedError,
)
from lr_core.motors import Calibration, Motor, MotorCalibration
from lr_core.motors_bus import MotorsBus, Value
from lr_motors.errors import (
    MotorCommError,
    MotorConfigError,
    MotorsNotFoundError,
    MotorStatusError,
    MotorWriteVerifyError,
)
from lr_motors.normalization import goal_limits, normalize, unnormalize
from lr_motors.ports import is_pseudo_terminal
from lr_motors.transport import CommFailure, Transport

logger = logging.getLogger(__name__)

T = TypeVar("T")

#: Registers converted between raw ticks and the motor's norm mode.
NORMALIZED_DATA = ("Goal_Position", "Present_Position")
#: Reply timeout on a serial adapter (ms). A servo answers within its return delay (0 to 0.5 ms
#: after ``configure_motors``) plus the wire time (0.1 ms per status packet at 1 Mbps) plus the
#: adapter's USB latency (about 1 ms on a CH340/CH343; up to 16 ms, an FTDI's latency timer):
#: a reply later than this is lost, and waiting longer only delays the retry.
REPLY_TIMEOUT_MS = 50.0
#: Reply timeout on a pseudo-terminal: the servo emulator (ms). Its servos are a process the
#: OS must schedule when a request arrives, so a busy machine delays replies that a real servo
#: never would (on a 2-core machine shared by CI jobs, more than 100 ms at times; four
#: equal-priority busy processes alone kept them under 15 ms: tools/repro/
#: emulator_reply_latency.py, docs/motors.md). Late is not lost there, so wait longer.
PTY_REPLY_TIMEOUT_MS = 250.0


def default_reply_timeout_ms(port: str) -> float:
    """:data:`PTY_REPLY_TIMEOUT_MS` for a pseudo-terminal (the emulator), else
    :data:`REPLY_TIMEOUT_MS`."""
    return PTY_REPLY_TIMEOUT_MS if is_pseudo_terminal(port) else REPLY_TIMEOUT_MS


@dataclass
class BusStats:
    """Counters of one bus since it was created."""

    transactions: int = 0
    retries: int = 0
    timeouts: int = 0
    corrupt: int = 0
    failures: int = 0
    #: status packets that reported error bits, per motor name
    status_errors: dict[str, int] = field(default_factory=dict[str, int])


@dataclass(frozen=True)
class PlannedWrite:
    """One register write, encoded and checked, waiting to be sent (see :meth:`SerialBus.plan`)."""

    motor: str
    data_name: str
    value: int  # the signed value, in register units
    address: int
    size: int
    raw: int  # the register content on the wire


class SerialBus(MotorsBus):
    """A servo bus on one serial port; subclasses supply the vendor tables and transport."""

    vendor: ClassVar[str]
    model_ctrl_table: ClassVar[dict[str, dict[str, tuple[int, int]]]]
    model_number_table: ClassVar[dict[str, int]]
    model_resolution_table: ClassVar[dict[str, int]]
    model_baudrate_table: ClassVar[dict[str, dict[int, int]]]
    scan_baudrates: ClassVar[list[int]]
    default_baudrate: ClassVar[int] = 1_000_000
    #: whether ``drive_mode`` is applied in software by normalisation (Feetech) or by the servo
    apply_drive_mode: ClassVar[bool]
    eeprom_end: ClassVar[int]
    #: ``Present_Position = actual - homing_sign * Homing_Offset`` (Feetech +1, Dynamixel -1)
    homing_sign: ClassVar[int]
    #: whether ``Present_Position`` wraps at the resolution (Feetech) or runs on (Dynamixel
    #: with torque off / Extended Position mode): decides how out-of-range readings normalise
    positions_wrap: ClassVar[bool]
    #: ``model -> register -> (lowest, highest)`` signed values the servo accepts; registers not
    #: listed only have to fit their encoding
    model_register_limits: ClassVar[dict[str, dict[str, tuple[int, int]]]] = {}

    def __init__(
        self,
        port: str,
        motors: Mapping[str, Motor],
        calibration: Mapping[str, MotorCalibration] | None = None,
        *,
        retries: int = 2,
        timeout_ms: float | None = None,
    ) -> None:
        self._port = port
        self.motors = dict(motors)
        self.calibration = dict(calibration or {})
        self.retries = retries
        #: how long a reply may take (ms): ``timeout_ms``, else by the kind of port
        #: (:func:`default_reply_timeout_ms`: 50 on a serial adapter, 250 on the emulator's pty)
        self.timeout_ms = default_reply_timeout_ms(port) if timeout_ms is None else timeout_ms
        self.stats = BusStats()
        ids = [m.id for m in self.motors.values()]
        if len(ids) != len(set(ids)):
            raise MotorConfigError(f"motors on port {port} share an id: {self._describe_ids()}")
        for name, m in self.motors.items():
            if m.model not in self.model_ctrl_table:
                raise MotorConfigError(
                    f"motor {name!r}: unknown {self.vendor} model {m.model!r}; known: "
                    f"{', '.join(self.model_ctrl_table)}"
                )
        self._id_to_name = {m.id: name for name, m in self.motors.items()}
        self._last_status_errors: dict[str, int] = {}
        self._lock = threading.Lock()
        #: transactions begun on the wire (under ``_lock``): a pending read whose request is no
        #: longer the last one knows its replies were flushed by the transaction after it
        self._wire_count = 0
        self._plans: dict[
            tuple[str, str, tuple[str, ...] | None], tuple[list[str], list[int], int, int, str]
        ] = {}
        self.transport: Transport = self._make_transport()

    # vendor hooks ---------------------------------------------------------------------------
    @abstractmethod
    def _make_transport(self) -> Transport: ...

    @abstractmethod
    def _encode_sign(self, data_name: str, model: str, value: int) -> int: ...

    @abstractmethod
    def _decode_sign(self, data_name: str, model: str, value: int) -> int: ...

    @abstractmethod
    def _half_turn_homing(self, motor: str, position: int) -> int:
        """The Homing_Offset, within the register's limits, that makes ``position`` (read with
        offset 0) read half a turn."""

    @abstractmethod
    def _unhomed_position(self, motor: str, present: int, homing_offset: int) -> int:
        """What ``Present_Position`` would read with ``Homing_Offset`` 0."""

    @abstractmethod
    def configure_motors(self) -> None:
        """Write the vendor's recommended settings (return delay, acceleration…)."""

    def _check_eeprom_writable(self, motor: str, data_name: str, num_retry: int | None) -> None:
        """Vendor check before an EEPROM write (Feetech: Lock must be 0)."""

    def _handshake_extra(self) -> None:
        """Vendor checks after every motor answered (Feetech: equal firmware versions)."""

    # basics -----------------------------------------------------------------------------------
    @property
    def port(self) -> str:
        """The serial port path."""
        return self._port

    @property
    def is_connected(self) -> bool:
        """Whether the port is open."""
        return self.transport.is_open

    @property
    def ids(self) -> list[int]:
        """Motor ids in declaration order."""
        return [m.id for m in self.motors.values()]

    def __repr__(self) -> str:
        return f"{type(self).__name__}(port={self.port!r}, motors={self._describe_ids()})"

    def _describe_ids(self) -> str:
        return ", ".join(f"{n}={m.id}" for n, m in self.motors.items())

    def _motor(self, name: str) -> Motor:
        try:
            return self.motors[name]
        except KeyError:
            raise MotorConfigError(
                f"no motor named {name!r} on port {self.port}; motors: {', '.join(self.motors)}"
            ) from None

    def _address(self, model: str, data_name: str) -> tuple[int, int]:
        table = self.model_ctrl_table[model]
        try:
            return table[data_name]
        except KeyError:
            raise MotorConfigError(
                f"{model} has no register {data_name!r}; see lr_motors.{self.vendor}.tables"
            ) from None

    def _names(self, motors: Sequence[str] | str | None) -> list[str]:
        if motors is None:
            return list(self.motors)
        names = [motors] if isinstance(motors, str) else list(motors)
        for name in names:
            self._motor(name)
        return names

    def _require_connected(self) -> None:
        if not self.is_connected:
            raise DeviceNotConnectedError(
                f"{type(self).__name__} on {self.port} is not connected; call connect() first"
            )

    # retries ----------------------------------------------------------------------------------
    def _retry(
        self,
        action: Callable[[], T],
        what: str,
        num_retry: int | None,
        first: Callable[[], T | None] | None = None,
    ) -> T:
        """Run ``action`` (one transaction) until it succeeds, ``1 + num_retry`` tries at most.

        ``first``, when given, replaces the first try: it collects the replies of a request
        already sent (:meth:`start_sync_read`), or returns ``None`` when that request's replies
        are gone, and then ``action`` runs in its place.
        """
        tries = 1 + (self.retries if num_retry is None else num_retry)
        failure: CommFailure | None = None
        for attempt in range(tries):
            self.stats.transactions += 1
            if attempt:
                self.stats.retries += 1
            try:
                with self._lock:  # one transaction on the wire at a time, whatever the thread
                    if attempt == 0 and first is not None:
                        result = first()
                        if result is not None:
                            return result
                    self._wire_count += 1
                    return action()
            except CommFailure as exc:
                failure = exc
                if exc.kind == "timeout":
                    self.stats.timeouts += 1
                elif exc.kind == "corrupt":
                    self.stats.corrupt += 1
                logger.debug("%s on %s failed (try %d/%d): %s", what, self.port, attempt + 1,
                             tries, exc)  # fmt: skip
        self.stats.failures += 1
        assert failure is not None
        names = [f"'{self._id_to_name.get(i, '?')}' (id {i})" for i in failure.ids]
        who = f"; no valid reply from {', '.join(names)}" if names else ""
        raise MotorCommError(
            f"{what} on port {self.port} failed after {tries} tries: {failure}{who}. "
            "Check the power supply and cables, and that the motor ids and baud rate are right "
            "(lr setup-motors)."
        ) from failure

    def _check_status(self, error: int, name: str, what: str) -> None:
        if error:
            self.stats.status_errors[name] = self.stats.status_errors.get(name, 0) + 1
            raise MotorStatusError(
                f"{what} on port {self.port}: motor {name!r} reports "
                f"{self.transport.describe_error(error)} (status 0x{error:02x})"
            )

    # connection -------------------------------------------------------------------------------
    def connect(self, handshake: bool = True) -> None:
        """Open the port; with ``handshake``, ping every motor and check its model number.

        Raises :class:`~lr_motors.errors.MotorsNotFoundError` naming every missing or
        mismatched motor and the port. On failure torque is disabled on the motors that
        answered and the port is closed.
        """
        if self.is_connected:
            raise DeviceAlreadyConnectedError(f"{type(self).__name__} on {self.port} is connected")
        try:
            self.transport.open()
        except OSError as exc:
            raise MotorCommError(
                f"could not open port {self.port}: {exc}. Is the board plugged in? "
                "Run `lr find-port` to find its port."
            ) from exc
        if not handshake:
            return
        try:
            self._handshake()
        except BaseException as exc:
            self._torque_off_after_failure(exc)
            self.transport.close()
            raise

    def _handshake(self) -> None:
        found: dict[str, int] = {}
        for name, m in self.motors.items():
            try:
                model_nb, _ = self._retry(
                    lambda m=m: self.transport.ping(m.id), f"ping motor {name!r}", None
                )
            except MotorCommError:
                continue
            found[name] = model_nb
        lines: list[str] = []
        for name, m in self.motors.items():
            expected = self.model_number_table[m.model]
            if name not in found:
                lines.append(f"  - {name} (id {m.id}, {m.model}): no answer")
            elif found[name] != expected:
                lines.append(
                    f"  - {name} (id {m.id}): expected model {m.model} ({expected}), "
                    f"found model number {found[name]}"
                )
        if lines:
            raise MotorsNotFoundError(
                f"motor check failed on port {self.port} at {self.transport.baudrate} bps:\n"
                + "\n".join(lines)
                + "\nCheck the power and daisy chain, or assign ids with `lr setup-motors`."
            )
        self._handshake_extra()

    def _torque_off_after_failure(self, cause: BaseException) -> None:
        for name, m in self.motors.items():
            try:
                self._disable_torque_id(m.id, m.model, num_retry=0)
            except (MotorCommError, MotorStatusError) as exc:
                logger.debug("torque off for %s after failure: %s", name, exc)
        cause.add_note(f"torque was disabled on the motors of {self.port} that answered")

    def disconnect(self, disable_torque: bool = True) -> None:
        """Optionally disable torque on every motor (5 retries), then close the port."""
        self._require_connected()
        try:
            if disable_torque:
                self.disable_torque(num_retry=5)
        finally:
            self.transport.close()
            st = self.stats
            if st.retries or st.failures or st.status_errors:
                logger.warning(
                    "%s on %s: %d transactions, %d retries (%d timeouts, %d corrupt), "
                    "%d failures, status errors %s",
                    type(self).__name__, self.port, st.transactions, st.retries, st.timeouts,
                    st.corrupt, st.failures, st.status_errors or "none",
                )  # fmt: skip

    def set_baudrate(self, baudrate: int) -> None:
        """Switch the port's baud rate."""
        if self.transport.baudrate != baudrate:
            self.transport.set_baudrate(baudrate)

    # register access --------------------------------------------------------------------------
    def _to_raw(self, data_name: str, name: str, value: Value, normalize_: bool) -> int:
        m = self.motors[name]
        if normalize_ and data_name in NORMALIZED_DATA:
            raw = unnormalize(
                float(value),
                m.norm_mode,
                self._calibration_of(name),
                self.model_resolution_table[m.model],
                invert=self._invert(name),
                motor=name,
            )
        else:
            raw = int(value)
        self._check_limits(name, data_name, raw)
        try:
            return self._encode_sign(data_name, m.model, raw)
        except MotorConfigError as exc:
            raise MotorConfigError(
                f"value {raw} for register {data_name!r} of motor {name!r} (id {m.id}, "
                f"{m.model}) on {self.port} cannot be encoded: {exc}"
            ) from None

    def register_limits(self, motor: str, data_name: str) -> tuple[int, int] | None:
        """``(lowest, highest)`` signed value ``motor``'s ``data_name`` register accepts, or
        ``None`` when only its size limits it."""
        return self.model_register_limits.get(self._motor(motor).model, {}).get(data_name)

    def _check_limits(self, name: str, data_name: str, value: int) -> None:
        limits = self.register_limits(name, data_name)
        if limits is not None and not limits[0] <= value <= limits[1]:
            m = self.motors[name]
            raise MotorConfigError(
                f"value {value} is out of range for register {data_name!r} of motor {name!r} "
                f"(id {m.id}, {m.model}) on {self.port}: it accepts {limits[0]}..{limits[1]}"
            )

    def _from_raw(self, data_name: str, name: str, raw: int, normalize_: bool) -> Value:
        m = self.motors[name]
        value = self._decode_sign(data_name, m.model, raw)
        if normalize_ and data_name in NORMALIZED_DATA:
            return normalize(
                value,
                m.norm_mode,
                self._calibration_of(name),
                self.model_resolution_table[m.model],
                invert=self._invert(name),
                motor=name,
                wrap=self.positions_wrap,
            )
        return value

    def _calibration_of(self, name: str) -> MotorCalibration:
        try:
            return self.calibration[name]
        except KeyError:
            raise CalibrationError(
                f"motor {name!r} on {self.port} has no calibration; calibrate the robot, or pass "
                "normalize=False for raw ticks"
            ) from None

    def goal_limits(self, motor: str) -> tuple[float, float]:
        """``(lowest, highest)`` normalised goal ``motor`` accepts: its calibrated range in its
        norm mode's units. Normalised goals outside it are clamped when written."""
        m = self._motor(motor)
        return goal_limits(
            m.norm_mode,
            self._calibration_of(motor),
            self.model_resolution_table[m.model],
            invert=self._invert(motor),
        )

    def _invert(self, name: str) -> bool:
        return self.apply_drive_mode and bool(self._calibration_of(name).drive_mode)

    def read(
        self, data_name: str, motor: str, *, normalize: bool = True, num_retry: int | None = None
    ) -> Value:
        """Read one register of one motor (normalised for Goal/Present_Position)."""
        self._require_connected()
        m = self._motor(motor)
        addr, size = self._address(m.model, data_name)
        what = f"read {data_name!r} of motor {motor!r} (id {m.id})"
        raw, error = self._retry(lambda: self.transport.read(m.id, addr, size), what, num_retry)
        self._check_status(error, motor, what)
        return self._from_raw(data_name, motor, raw, normalize)

    def write(
        self,
        data_name: str,
        motor: str,
        value: Value,
        *,
        normalize: bool = True,
        num_retry: int | None = None,
    ) -> None:
        """Write one register and wait for the acknowledgement.

        EEPROM registers (ids, limits, offsets…) are read back; a value that did not stick
        raises :class:`~lr_motors.errors.MotorWriteVerifyError`.
        """
        self._require_connected()
        self.apply(self.plan([(motor, data_name, value)], normalize=normalize), num_retry=num_retry)

    def plan(
        self, writes: Sequence[tuple[str, str, Value]], *, normalize: bool = False
    ) -> list[PlannedWrite]:
        """Encode and check ``(motor, register, value)`` writes without sending anything.

        Multi-motor procedures (calibration, configuration) plan every write first, so a value
        a register cannot hold raises :class:`~lr_motors.errors.MotorConfigError` (naming the
        motor, the register and the accepted range) before the first motor is touched.
        """
        out: list[PlannedWrite] = []
        for motor, data_name, value in writes:
            m = self._motor(motor)
            addr, size = self._address(m.model, data_name)
            raw = self._to_raw(data_name, motor, value, normalize)
            if not 0 <= raw < 1 << (8 * size):
                raise MotorConfigError(
                    f"value {value} does not fit register {data_name!r} ({size} bytes) of motor "
                    f"{motor!r} (id {m.id}) on {self.port}"
                )
            signed = self._decode_sign(data_name, m.model, raw)
            out.append(PlannedWrite(motor, data_name, signed, addr, size, raw))
        return out

    def apply(self, plan: Sequence[PlannedWrite], *, num_retry: int | None = None) -> None:
        """Send planned writes in order; EEPROM writes are read back and verified.

        Raises :class:`~lr_motors.errors.MotorWriteVerifyError` when an EEPROM value did not
        stick (torque on, Feetech ``Lock`` set).
        """
        self._require_connected()
        for w in plan:
            m = self.motors[w.motor]
            eeprom = w.address < self.eeprom_end
            if eeprom:
                self._check_eeprom_writable(w.motor, w.data_name, num_retry)
            self._write_raw(m.id, w.motor, w.data_name, w.address, w.size, w.raw, num_retry)
            if eeprom and w.data_name not in ("ID", "Baud_Rate"):
                what = f"read back {w.data_name!r} of motor {w.motor!r} (id {m.id})"
                back, error = self._retry(
                    lambda m=m, w=w: self.transport.read(m.id, w.address, w.size), what, num_retry
                )
                self._check_status(error, w.motor, what)
                if back != w.raw:
                    raise MotorWriteVerifyError(
                        f"EEPROM register {w.data_name!r} of motor {w.motor!r} (id {m.id}) on "
                        f"{self.port} reads {back} after writing {w.raw}: disable torque first "
                        "(bus.disable_torque() also unlocks Feetech EEPROM)"
                    )

    def _write_raw(
        self, motor_id: int, name: str, data_name: str, addr: int, size: int, raw: int,
        num_retry: int | None,
    ) -> None:  # fmt: skip
        if not 0 <= raw < 1 << (8 * size):
            raise MotorConfigError(
                f"value {raw} does not fit register {data_name!r} ({size} bytes) of motor {name!r}"
            )
        what = f"write {data_name!r}={raw} to motor {name!r} (id {motor_id})"
        error = self._retry(
            lambda: self.transport.write(motor_id, addr, size, raw), what, num_retry
        )
        self._check_status(error, name, what)

    def _sync_plan(
        self, op: str, data_name: str, motors: Sequence[str] | None
    ) -> tuple[list[str], list[int], int, int, str]:
        """Names, ids, address, size and description of a sync transaction (cached)."""
        key = (op, data_name, None if motors is None else tuple(motors))
        plan = self._plans.get(key)
        if plan is None:
            names = self._names(motors)
            addr, size = self._sync_address(data_name, names)
            ids = [self.motors[n].id for n in names]
            plan = (names, ids, addr, size, f"{op} {data_name!r} of {', '.join(names)}")
            self._plans[key] = plan
        return plan

    def _sync_address(self, data_name: str, names: list[str]) -> tuple[int, int]:
        addresses = {self._address(self.motors[n].model, data_name) for n in names}
        if len(addresses) != 1:
            raise MotorConfigError(
                f"{data_name!r} is at different addresses on these motors ({sorted(addresses)}); "
                "read them one by one"
            )
        return addresses.pop()

    def sync_read(
        self,
        data_name: str,
        motors: Sequence[str] | None = None,
        *,
        normalize: bool = True,
        num_retry: int | None = None,
    ) -> dict[str, Value]:
        """Read one register from many motors in one transaction (all motors by default).

        Error bits in the servos' replies do not raise here (a teleoperation loop should keep
        reading); they are counted in ``stats.status_errors`` and logged once per change.
        """
        self._require_connected()
        names, ids, addr, size, what = self._sync_plan("sync read", data_name, motors)
        replies = self._retry(lambda: self.transport.sync_read(ids, addr, size), what, num_retry)
        return self._decode_sync_read(data_name, names, ids, replies, normalize)

    def start_sync_read(
        self,
        data_name: str,
        motors: Sequence[str] | None = None,
        *,
        normalize: bool = True,
        num_retry: int | None = None,
    ) -> Callable[[], dict[str, Value]]:
        """Send a SYNC_READ's request now; the function returned collects the replies.

        ``bus.start_sync_read(name)()`` is ``bus.sync_read(name)``; in between, the servos
        answer while the caller does something else, such as reading another bus (a
        teleoperation loop reads the leader and the follower in one thread this way, and
        both round trips overlap). Call the function once. A failed first try is retried as
        :meth:`sync_read` retries, and so is a request whose replies another transaction on
        this bus discarded in between (each request first drops stale input). A transport
        without split reads (a plugin's) sends the request when the function is called.

        Raises:
            DeviceNotConnectedError: the bus is not connected (now or when collecting).
            MotorCommError: no valid reply after the retries, naming the motors and the port.
        """
        self._require_connected()
        names, ids, addr, size, what = self._sync_plan("sync read", data_name, motors)
        send = getattr(self.transport, "send_sync_read", None)
        receive = getattr(self.transport, "receive_sync_read", None)
        sent: int | None = None
        if send is not None and receive is not None:
            with self._lock:
                self._wire_count += 1
                try:
                    send(ids, addr, size)
                    sent = self._wire_count
                except CommFailure as exc:  # the first try of the collection sends again
                    logger.debug("%s on %s: request failed: %s", what, self.port, exc)

        def first() -> dict[int, tuple[int, int]] | None:
            if sent is None or receive is None or sent != self._wire_count:
                return None  # not sent, or flushed by a later transaction: send again
            self._wire_count += 1  # the replies are consumed: nothing pending any more
            return receive(ids, addr, size)

        def collect() -> dict[str, Value]:
            self._require_connected()
            replies = self._retry(
                lambda: self.transport.sync_read(ids, addr, size), what, num_retry, first
            )
            return self._decode_sync_read(data_name, names, ids, replies, normalize)

        return collect

    def _decode_sync_read(
        self,
        data_name: str,
        names: list[str],
        ids: list[int],
        replies: Mapping[int, tuple[int, int]],
        normalize: bool,
    ) -> dict[str, Value]:
        out: dict[str, Value] = {}
        for name, motor_id in zip(names, ids):
            raw, error = replies[motor_id]
            if error or self._last_status_errors.get(name):
                self._note_status(name, error)
            out[name] = self._from_raw(data_name, name, raw, normalize)
        return out

    def _note_status(self, name: str, error: int) -> None:
        if error:
            self.stats.status_errors[name] = self.stats.status_errors.get(name, 0) + 1
        if self._last_status_errors.get(name, 0) != error:
            self._last_status_errors[name] = error
            if error:
                logger.warning(
                    "motor %r on %s reports %s",
                    name,
                    self.port,
                    self.transport.describe_error(error),
                )

    def sync_write(
        self,
        data_name: str,
        values: Mapping[str, Value] | Value,
        *,
        normalize: bool = True,
        num_retry: int | None = None,
    ) -> None:
        """Write one register on many motors in one packet (a scalar goes to every motor).

        Normalised goals are clamped to the calibrated range. Servos do not acknowledge.
        """
        self._require_connected()
        items = values if isinstance(values, Mapping) else dict.fromkeys(self.motors, values)
        names, ids, addr, size, what = self._sync_plan("sync write", data_name, tuple(items))
        raw: dict[int, int] = {}
        for name, motor_id in zip(names, ids):
            value = self._to_raw(data_name, name, items[name], normalize)
            if not 0 <= value < 1 << (8 * size):
                raise MotorConfigError(
                    f"value {items[name]} does not fit register {data_name!r} of motor {name!r} "
                    f"on {self.port}"
                )
            raw[motor_id] = value
        self._retry(lambda: self.transport.sync_write(addr, size, raw), what, num_retry)

    # torque -----------------------------------------------------------------------------------
    def _disable_torque_id(self, motor_id: int, model: str, num_retry: int | None) -> None:
        addr, size = self._address(model, "Torque_Enable")
        name = self._id_to_name.get(motor_id, f"id {motor_id}")
        self._write_raw(motor_id, name, "Torque_Enable", addr, size, 0, num_retry)

    def enable_torque(
        self, motors: Sequence[str] | None = None, num_retry: int | None = None
    ) -> None:
        """Enable torque (all motors by default)."""
        for name in self._names(motors):
            self.write("Torque_Enable", name, 1, num_retry=num_retry)

    def disable_torque(
        self, motors: Sequence[str] | None = None, num_retry: int | None = None
    ) -> None:
        """Disable torque (all motors by default).

        Every motor is tried even when one fails (a faulted servo must not leave the others
        holding torque); then :class:`~lr_motors.errors.MotorCommError` (or the status error)
        names each motor that did not acknowledge.
        """
        failures: list[tuple[str, Exception]] = []
        for name in self._names(motors):
            m = self.motors[name]
            try:
                self._disable_torque_id(m.id, m.model, num_retry)
            except (MotorCommError, MotorStatusError) as exc:
                failures.append((name, exc))
        if len(failures) == 1:
            raise failures[0][1]
        if failures:
            names = ", ".join(f"{n!r} (id {self.motors[n].id})" for n, _ in failures)
            raise MotorCommError(
                f"torque off failed on port {self.port} for motors {names}; the other motors are "
                f"off. First error: {failures[0][1]}"
            ) from failures[0][1]

    # discovery --------------------------------------------------------------------------------
    def ping(
        self, motor: str | int, num_retry: int = 0, raise_on_error: bool = False
    ) -> int | None:
        """The model number of one motor (by name or id), as LeRobot's ``ping``.

        Returns ``None`` when it does not answer or answers with error bits, unless
        ``raise_on_error``: then :class:`~lr_motors.errors.MotorCommError` (no reply, naming
        the motor and port) or :class:`~lr_motors.errors.MotorStatusError` (error bits).
        """
        self._require_connected()
        if isinstance(motor, str):
            motor_id = self._motor(motor).id
            name = motor
        else:
            motor_id, name = int(motor), self._id_to_name.get(int(motor), f"id {motor}")
        what = f"ping motor {name!r} (id {motor_id})"
        try:
            model_nb, error = self._retry(lambda: self.transport.ping(motor_id), what, num_retry)
        except MotorCommError:
            if raise_on_error:
                raise
            return None
        if error:
            if raise_on_error:
                self._check_status(error, name, what)
            return None
        return model_nb

    def broadcast_ping(
        self, num_retry: int = 0, raise_on_error: bool = False
    ) -> dict[int, int] | None:
        """``{id: model number}`` of every servo answering at the port's baud rate, as
        LeRobot's ``broadcast_ping``; ``None`` when none answers (or
        :class:`~lr_motors.errors.MotorCommError` with ``raise_on_error``)."""
        self._require_connected()
        for _ in range(1 + num_retry):
            self.stats.transactions += 1
            with self._lock:
                self._wire_count += 1
                found = self.transport.broadcast_ping()
            if found:
                return found
        if raise_on_error:
            raise MotorCommError(
                f"no servo answered a broadcast ping on port {self.port} at "
                f"{self.transport.baudrate} bps after {1 + num_retry} tries; check the power "
                "supply and the cable, or scan other baud rates (lr motors scan)"
            )
        return None

    # setup ------------------------------------------------------------------------------------
    def find_single_motor(self, motor: str, initial_baudrate: int | None = None) -> tuple[int, int]:
        """``(baudrate, id)`` of the one servo connected to the port, scanning baud rates.

        Raises when none answers, when several answer (only ``motor`` may be connected), or
        when its model is not ``motor``'s.
        """
        m = self._motor(motor)
        rates = [initial_baudrate] if initial_baudrate else list(self.model_baudrate_table[m.model])
        expected = self.model_number_table[m.model]
        for rate in rates:
            self.set_baudrate(rate)
            found = self.transport.broadcast_ping()
            if not found:
                continue
            if len(found) > 1:
                raise MotorConfigError(
                    f"several motors answer on {self.port} at {rate} bps (ids {sorted(found)}); "
                    f"connect only the {motor!r} motor"
                )
            found_id, model_nb = next(iter(found.items()))
            if model_nb != expected:
                raise MotorConfigError(
                    f"the motor on {self.port} (id {found_id}, {rate} bps) has model number "
                    f"{model_nb}, not {expected} ({m.model}); connect only the {motor!r} motor"
                )
            return rate, found_id
        raise MotorCommError(
            f"motor {motor!r} ({m.model}) was not found on {self.port} at "
            f"{', '.join(map(str, rates))} bps; check its cable and power"
        )

    def setup_motor(
        self, motor: str, initial_baudrate: int | None = None, initial_id: int | None = None
    ) -> None:
        """Find the single connected motor at any baud rate, give it ``motor``'s id and the
        bus default baud rate, then check it answers there."""
        if not self.is_connected:
            self.connect(handshake=False)
        m = self._motor(motor)
        if initial_baudrate is None or initial_id is None:
            initial_baudrate, initial_id = self.find_single_motor(motor, initial_baudrate)
        self.set_baudrate(initial_baudrate)
        self._disable_torque_id(initial_id, m.model, None)  # Feetech: also unlocks EEPROM
        addr, size = self._address(m.model, "ID")
        self._write_raw(initial_id, motor, "ID", addr, size, m.id, None)
        addr, size = self._address(m.model, "Baud_Rate")
        code = self.model_baudrate_table[m.model][self.default_baudrate]
        self._write_raw(m.id, motor, "Baud_Rate", addr, size, code, None)
        self.set_baudrate(self.default_baudrate)
        what = f"ping motor {motor!r} at its new id {m.id}"
        model_nb, _ = self._retry(lambda: self.transport.ping(m.id), what, None)
        if model_nb != self.model_number_table[m.model]:
            raise MotorWriteVerifyError(f"after setup, id {m.id} answers with model {model_nb}")

    def scan_port(self) -> dict[int, dict[int, int]]:
        """``{baudrate: {id: model number}}`` for every baud rate where servos answer."""
        if not self.is_connected:
            self.connect(handshake=False)
        found: dict[int, dict[int, int]] = {}
        for rate in self.scan_baudrates:
            self.set_baudrate(rate)
            ids = self.transport.broadcast_ping()
            if ids:
                found[rate] = ids
        self.set_baudrate(self.default_baudrate)
        return found

    # calibration ------------------------------------------------------------------------------
    def _reset_writes(self, names: Sequence[str]) -> list[tuple[str, str, Value]]:
        writes: list[tuple[str, str, Value]] = []
        for name in names:
            model = self.motors[name].model
            if "Homing_Offset" in self.model_ctrl_table[model]:
                writes.append((name, "Homing_Offset", 0))
            writes.append((name, "Min_Position_Limit", 0))
            writes.append((name, "Max_Position_Limit", self.model_resolution_table[model] - 1))
        return writes

    def reset_calibration(self, motors: Sequence[str] | None = None) -> None:
        """Homing offset 0 and the full position range on ``motors``; clears the cache."""
        names = self._names(motors)
        self.apply(self.plan(self._reset_writes(names)))
        self.calibration = {}

    def _check_homing_possible(self, names: Sequence[str]) -> None:
        """Vendor checks before homing (Dynamixel: the operating mode keeps the offset)."""
        no_offset = [n for n in names if "Homing_Offset" not in self.model_ctrl_table[
            self.motors[n].model]]  # fmt: skip
        if no_offset:
            models = sorted({self.motors[n].model for n in no_offset})
            raise MotorConfigError(
                f"motors {', '.join(no_offset)} on {self.port} ({', '.join(models)}) have no "
                "Homing_Offset register, so they cannot be homed; record their ranges directly "
                "(bus.record_ranges_of_motion) with homing_offset 0"
            )

    def _effective_offsets(self, names: Sequence[str], offsets: dict[str, int]) -> dict[str, int]:
        """The offsets the servos apply, given those in their registers (vendor rules)."""
        return offsets

    def _check_offsets(self, offsets: Mapping[str, int]) -> None:
        """Vendor checks of computed offsets before anything is written."""

    def set_half_turn_homings(self, motors: Sequence[str] | None = None) -> dict[str, int]:
        """Write offsets that make every motor's present position read half a turn (2047).

        Torque must be off. Every offset is computed from the present positions and the
        offsets in the motors, brought into the register's range and checked before the first
        write (a joint resting at raw 4095 reads 2048: ``Homing_Offset`` cannot hold 2048).
        Limits are reset to the full range, as :meth:`reset_calibration` does. Returns
        ``{motor: offset written}``; raises :class:`~lr_motors.errors.MotorConfigError` naming
        the motor when one cannot be homed, before anything is written.
        """
        names = self._names(motors)
        self._check_homing_possible(names)
        presents = self.sync_read("Present_Position", names, normalize=False)
        current = self._effective_offsets(
            names,
            {n: int(v) for n, v in self.sync_read("Homing_Offset", names, normalize=False).items()},
        )
        offsets = {
            name: self._half_turn_homing(
                name, self._unhomed_position(name, int(presents[name]), current[name])
            )
            for name in names
        }
        self._check_offsets(offsets)
        writes = [w for w in self._reset_writes(names) if w[1] != "Homing_Offset"]
        writes += [(name, "Homing_Offset", offset) for name, offset in offsets.items()]
        self.apply(self.plan(writes))
        self.calibration = {}
        return offsets

    def record_ranges_of_motion(
        self,
        motors: Sequence[str] | None = None,
        display_values: bool = True,
        *,
        stop: Callable[[], bool] | None = None,
        on_update: Callable[[dict[str, int], dict[str, int], dict[str, int]], None] | None = None,
        poll_s: float = 0.02,
    ) -> tuple[dict[str, int], dict[str, int]]:
        """Track min/max raw positions while the joints are moved by hand, until ``stop()``.

        LeRobot's signature, plus: ``stop`` defaults to "Enter was pressed";
        ``on_update(mins, positions, maxes)`` is called after every read (default: the live
        table when ``display_values``). Positions are unwrapped along the shortest arc.
        Raises :class:`~lr_core.errors.CalibrationError` naming motors that never moved,
        turned a full turn, or whose travel crossed the encoder's seam (4095 → 0): such a range
        cannot be written as position limits at the present homing. Re-home with the joint in
        the middle of its travel, or calibrate with :func:`lr_motors.calibration.calibrate`
        (``lr calibrate``), which moves the offset to centre the real arc.
        """
        from lr_motors.calibration import crosses_seam, enter_pressed, print_table, record_ranges

        names = self._names(motors)
        if on_update is None and display_values:
            on_update = print_table
        mins, maxes = record_ranges(self, names, stop or enter_pressed, on_update, poll_s)
        crossed = [
            n
            for n in names
            if crosses_seam(mins[n], maxes[n], self.model_resolution_table[self.motors[n].model])
        ]
        if crossed:
            arcs = ", ".join(f"{n} ({mins[n]}..{maxes[n]})" for n in crossed)
            raise CalibrationError(
                f"the travel of these joints on {self.port} crossed the encoder's 4095 -> 0 seam: "
                f"{arcs}. Such a range cannot be written as position limits at this homing: "
                "home again with each joint in the middle of its travel, or calibrate with "
                "lr_motors.calibrate (lr calibrate), which moves the offset to centre the arc"
            )
        return mins, maxes

    def shifted_homing_offset(self, motor: str, homing_offset: int, shift: int) -> int | None:
        """The offset that makes ``motor`` read ``shift`` ticks less than ``homing_offset``
        does, within the register's limits; ``None`` when the register cannot hold it."""
        model = self.motors[motor].model
        if "Homing_Offset" not in self.model_ctrl_table[model]:
            return None
        res = self.model_resolution_table[model]
        offset = homing_offset + self.homing_sign * shift
        limits = self.register_limits(motor, "Homing_Offset")
        candidates = (offset, offset - res, offset + res) if self.positions_wrap else (offset,)
        for candidate in candidates:
            if limits is None or limits[0] <= candidate <= limits[1]:
                return candidate
        return None

    def write_calibration(self, calibration: Mapping[str, object], cache: bool = True) -> None:
        """Write offsets and limits to the motors (torque must be off); keep them if ``cache``.

        Every entry is checked first (a motor of this bus, its id, a range inside the encoder's
        and each register's limits): a bad value raises before any motor is written, naming the
        motor and the register.
        """
        cal: dict[str, MotorCalibration] = {}
        for name, c in calibration.items():
            m = self._motor(name)
            entry = MotorCalibration.model_validate(c)
            if entry.id != m.id:
                raise CalibrationError(
                    f"the calibration of motor {name!r} is for id {entry.id}, but the motor on "
                    f"{self.port} has id {m.id}; is this the calibration of another arm?"
                )
            cal[name] = entry
        self.apply(self.plan([w for n, c in cal.items() for w in self._calibration_writes(n, c)]))
        if cache:
            self.calibration = dict(cal)

    def _calibration_writes(self, name: str, cal: MotorCalibration) -> list[tuple[str, str, Value]]:
        writes: list[tuple[str, str, Value]] = []
        if "Homing_Offset" in self.model_ctrl_table[self.motors[name].model]:
            writes.append((name, "Homing_Offset", cal.homing_offset))
        writes.append((name, "Min_Position_Limit", cal.range_min))
        writes.append((name, "Max_Position_Limit", cal.range_max))
        return writes

    @abstractmethod
    def read_calibration(self) -> Calibration:
        """Read offsets and limits from the motors' registers."""
