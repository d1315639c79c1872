"""FeetechMotorsBus: STS/SMS/SCS servos (SO-100, SO-101) over our own pyserial protocol."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import IntEnum

from lr_core.motors import Calibration, Motor, MotorCalibration
from lr_motors.bus import SerialBus
from lr_motors.encoding import decode_sign_magnitude, encode_sign_magnitude
from lr_motors.errors import MotorConfigError, MotorsNotFoundError, MotorWriteVerifyError
from lr_motors.feetech import tables
from lr_motors.feetech.transport import FeetechTransport


class OperatingMode(IntEnum):
    """Values of ``Operating_Mode``."""

    POSITION = 0
    VELOCITY = 1
    PWM = 2
    STEP = 3


class FeetechMotorsBus(SerialBus):
    """A bus of Feetech servos (all of one protocol: STS/SMS = 0, SCS = 1).

    ``Present_Position = actual - Homing_Offset`` on these servos; the drive mode is applied in
    software by normalisation. Torque off also clears ``Lock`` so EEPROM can be written, and
    torque on sets it again.
    """

    vendor = "feetech"
    model_ctrl_table = tables.MODEL_CONTROL_TABLE
    model_number_table = tables.MODEL_NUMBER_TABLE
    model_resolution_table = tables.MODEL_RESOLUTION
    model_baudrate_table = dict.fromkeys(tables.MODELS, tables.BAUDRATE_TABLE)
    model_register_limits = tables.MODEL_REGISTER_LIMITS
    scan_baudrates = tables.SCAN_BAUDRATES
    default_baudrate = 1_000_000
    apply_drive_mode = True
    homing_sign = 1
    positions_wrap = True
    eeprom_end = tables.EEPROM_END

    def __init__(
        self,
        port: str,
        motors: Mapping[str, Motor],
        calibration: Mapping[str, MotorCalibration] | None = None,
        *,
        protocol_version: int = 0,
        retries: int = 2,
        timeout_ms: float | None = None,
    ) -> None:
        self.protocol_version = protocol_version
        super().__init__(port, motors, calibration, retries=retries, timeout_ms=timeout_ms)
        wrong = [
            n for n, m in self.motors.items() if tables.MODEL_PROTOCOL[m.model] != protocol_version
        ]
        if wrong:
            raise MotorConfigError(
                f"motors {', '.join(wrong)} do not use Feetech protocol {protocol_version}"
            )

    def _make_transport(self) -> FeetechTransport:
        # kept with its own type too: REG_WRITE and ACTION exist on Feetech's transport only
        self._feetech_transport = FeetechTransport(
            self.port, self.default_baudrate, self.timeout_ms, self.protocol_version
        )
        return self._feetech_transport

    def _encode_sign(self, data_name: str, model: str, value: int) -> int:
        bit = tables.MODEL_SIGN_BITS[model].get(data_name)
        return value if bit is None else encode_sign_magnitude(value, bit)

    def _decode_sign(self, data_name: str, model: str, value: int) -> int:
        bit = tables.MODEL_SIGN_BITS[model].get(data_name)
        return value if bit is None else decode_sign_magnitude(value, bit)

    def _half_turn_homing(self, motor: str, position: int) -> int:
        """``position - 2047`` (LeRobot's formula), brought into ``Homing_Offset``'s ±2047.

        ``Present_Position = (actual - Homing_Offset) mod resolution``, so offsets one turn
        apart are equivalent. A joint resting at raw 4095 wants 2048, which neither 2048 nor
        -2048 can encode (sign-magnitude, 11 bits): it gets 2047 and reads 2048, one tick past
        half a turn.
        """
        res = self.model_resolution_table[self.motors[motor].model]
        offset = position - (res - 1) // 2
        lo, hi = self.register_limits(motor, "Homing_Offset") or (-(res - 1), res - 1)
        for candidate in (offset, offset - res, offset + res):
            if lo <= candidate <= hi:
                return candidate
        return hi if offset > 0 else lo

    def _unhomed_position(self, motor: str, present: int, homing_offset: int) -> int:
        res = self.model_resolution_table[self.motors[motor].model]
        return (present + homing_offset) % res

    def _handshake_extra(self) -> None:
        """Motors of one model must run one firmware version (LeRobot checks the whole bus;
        a HopeJR arm mixes an SM8512BL with STS3250s, whose firmware differs by design)."""
        by_model: dict[str, dict[str, str]] = {}
        for name, m in self.motors.items():
            major = self.read("Firmware_Major_Version", name, normalize=False)
            minor = self.read("Firmware_Minor_Version", name, normalize=False)
            by_model.setdefault(m.model, {})[name] = f"{major}.{minor}"
        for model, versions in by_model.items():
            if len(set(versions.values())) > 1:
                listing = ", ".join(f"{n}={v}" for n, v in versions.items())
                raise MotorsNotFoundError(
                    f"{model} motors on {self.port} run different firmware versions "
                    f"({listing}); update them with Feetech's software so they behave alike"
                )

    def _check_eeprom_writable(self, motor: str, data_name: str, num_retry: int | None) -> None:
        # with Lock 1 the servo accepts the value but forgets it at power-off: refuse instead
        if self.read("Lock", motor, normalize=False, num_retry=num_retry):
            m = self.motors[motor]
            raise MotorWriteVerifyError(
                f"EEPROM of motor {motor!r} (id {m.id}) on {self.port} is locked (Lock=1): "
                f"{data_name!r} would be lost at power-off. Disable torque first "
                "(bus.disable_torque() also unlocks EEPROM)"
            )

    def _disable_torque_id(self, motor_id: int, model: str, num_retry: int | None) -> None:
        """Torque off, then ``Lock`` 0 so EEPROM writes persist (LeRobot's order)."""
        super()._disable_torque_id(motor_id, model, num_retry)
        addr, size = self._address(model, "Lock")
        name = self._id_to_name.get(motor_id, f"id {motor_id}")
        self._write_raw(motor_id, name, "Lock", addr, size, 0, num_retry)

    def enable_torque(
        self, motors: Sequence[str] | None = None, num_retry: int | None = None
    ) -> None:
        """Torque on, then ``Lock`` 1 (EEPROM protected)."""
        for name in self._names(motors):
            self.write("Torque_Enable", name, 1, num_retry=num_retry)
            self.write("Lock", name, 1, num_retry=num_retry)

    def reg_write(
        self, data_name: str, motor: str, value: float, *, normalize: bool = True
    ) -> None:
        """Register a write that the servo applies on the next :meth:`action` (REG_WRITE)."""
        self._require_connected()
        m = self._motor(motor)
        addr, size = self._address(m.model, data_name)
        raw = self._to_raw(data_name, motor, value, normalize)
        what = f"reg_write {data_name!r}={raw} to motor {motor!r} (id {m.id})"
        error = self._retry(
            lambda: self._feetech_transport.reg_write(m.id, addr, size, raw), what, None
        )
        self._check_status(error, motor, what)

    def action(self) -> None:
        """Broadcast ACTION: every servo applies its registered write at the same moment."""
        self._require_connected()
        self._retry(self._feetech_transport.action, "broadcast ACTION", None)

    def configure_motors(
        self, return_delay_time: int = 0, maximum_acceleration: int = 254, acceleration: int = 254
    ) -> None:
        """LeRobot's settings: no return delay, fast acceleration, and on STS/SMS servos angle
        feedback mode 0 (Phase bit 4 cleared) so positions stay in 0..4095. Every value is
        checked before the first write. Torque must be off; on failure torque is disabled on
        every motor before the error propagates."""
        try:
            writes: list[tuple[str, str, int]] = []
            for name in self.motors:
                writes.append((name, "Return_Delay_Time", return_delay_time))
                if self.protocol_version == 0:
                    writes.append((name, "Maximum_Acceleration", maximum_acceleration))
                writes.append((name, "Acceleration", acceleration))
                if self.protocol_version == 0:
                    phase = int(self.read("Phase", name, normalize=False))
                    if phase & 0x10:
                        writes.append((name, "Phase", phase & ~0x10))
            self.apply(self.plan(writes))
        except BaseException as exc:
            self._torque_off_after_failure(exc)
            raise

    def read_calibration(self) -> Calibration:
        """Offsets (protocol 0) and limits from the registers; ``drive_mode`` is always 0."""
        out: Calibration = {}
        for name, m in self.motors.items():
            out[name] = MotorCalibration(
                id=m.id,
                drive_mode=0,
                homing_offset=int(self.read("Homing_Offset", name, normalize=False))
                if self.protocol_version == 0
                else 0,
                range_min=int(self.read("Min_Position_Limit", name, normalize=False)),
                range_max=int(self.read("Max_Position_Limit", name, normalize=False)),
            )
        return out

    @property
    def is_calibrated(self) -> bool:
        """Whether offsets (protocol 0) and ranges in the motors equal the bus calibration."""
        motors_cal = self.read_calibration()
        if set(motors_cal) != set(self.calibration):
            return False
        return all(
            self.calibration[n].range_min == c.range_min
            and self.calibration[n].range_max == c.range_max
            and (self.protocol_version == 1 or self.calibration[n].homing_offset == c.homing_offset)
            for n, c in motors_cal.items()
        )
