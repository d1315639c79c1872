"""DynamixelMotorsBus: X-series servos (Koch, ALOHA) through dynamixel-sdk, Protocol 2.0."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from lr_core.motors import Calibration, MotorCalibration
from lr_motors.bus import SerialBus
from lr_motors.dynamixel import tables
from lr_motors.dynamixel.tables import DriveMode, OperatingMode
from lr_motors.dynamixel.transport import DynamixelTransport
from lr_motors.encoding import decode_twos_complement, encode_twos_complement
from lr_motors.errors import MotorConfigError

__all__ = ["DriveMode", "DynamixelMotorsBus", "OperatingMode"]

#: Baud rates dynamixel-sdk can set, scanned by ``scan_port``.
AVAILABLE_BAUDRATES = [9_600, 19_200, 38_400, 57_600, 115_200, 230_400, 460_800, 500_000,
                       576_000, 921_600, 1_000_000, 1_152_000, 2_000_000, 2_500_000, 3_000_000,
                       3_500_000, 4_000_000]  # fmt: skip


class DynamixelMotorsBus(SerialBus):
    """A bus of Dynamixel X-series servos.

    ``Present_Position = actual + Homing_Offset``; ``Drive_Mode`` inverts direction in the
    servo itself, so normalisation ignores ``drive_mode`` (as LeRobot does). EEPROM registers
    can only be written with torque off (the servo answers with an access error otherwise).
    """

    vendor = "dynamixel"
    model_ctrl_table = tables.MODEL_CONTROL_TABLE
    model_number_table = tables.MODEL_NUMBER_TABLE
    model_resolution_table = tables.MODEL_RESOLUTION
    model_baudrate_table = dict.fromkeys(tables.MODELS, tables.BAUDRATE_TABLE)
    model_register_limits = tables.MODEL_REGISTER_LIMITS
    scan_baudrates = AVAILABLE_BAUDRATES
    default_baudrate = 1_000_000
    apply_drive_mode = False
    homing_sign = -1
    positions_wrap = False
    eeprom_end = tables.EEPROM_END

    def _make_transport(self) -> DynamixelTransport:
        return DynamixelTransport(self.port, self.default_baudrate, self.timeout_ms)

    def _encode_sign(self, data_name: str, model: str, value: int) -> int:
        size = tables.SIGNED_REGISTERS.get(data_name)
        return value if size is None else encode_twos_complement(value, size)

    def _decode_sign(self, data_name: str, model: str, value: int) -> int:
        size = tables.SIGNED_REGISTERS.get(data_name)
        return value if size is None else decode_twos_complement(value, size)

    def _half_turn_homing(self, motor: str, position: int) -> int:
        """``2047 - position`` (LeRobot's formula); checked against the register's limits."""
        res = self.model_resolution_table[self.motors[motor].model]
        return (res - 1) // 2 - position

    def _unhomed_position(self, motor: str, present: int, homing_offset: int) -> int:
        # Present = Actual + Homing_Offset; with Drive_Mode reversed, Present = -Actual + offset
        # (the offset's sign is not reversed), so reading with offset 0 gives present - offset
        return present - homing_offset

    def _position_mode_motors(self, names: Sequence[str]) -> list[str]:
        modes = self.sync_read("Operating_Mode", list(names), normalize=False)
        return [n for n in names if int(modes[n]) == OperatingMode.POSITION]

    def _effective_offsets(self, names: Sequence[str], offsets: dict[str, int]) -> dict[str, int]:
        limit = tables.POSITION_MODE_HOMING_LIMIT
        ignored = [n for n in self._position_mode_motors(names) if abs(offsets[n]) > limit]
        return {n: 0 if n in ignored else v for n, v in offsets.items()}

    def _check_offsets(self, offsets: Mapping[str, int]) -> None:
        """In Position Control mode an X-series servo ignores offsets beyond ±1024 (ROBOTIS
        e-manual, Homing Offset(20)): refuse those before writing anything."""
        limit = tables.POSITION_MODE_HOMING_LIMIT
        bad = [n for n in self._position_mode_motors(list(offsets)) if abs(offsets[n]) > limit]
        if bad:
            listing = ", ".join(f"{n} (offset {offsets[n]})" for n in bad)
            raise MotorConfigError(
                f"motors on {self.port} in Position Control mode would ignore their homing "
                f"offsets, which exceed ±{limit}: {listing}. Put them in Extended Position mode "
                "first (bus.write('Operating_Mode', motor, OperatingMode.EXTENDED_POSITION)), as "
                "the Koch and OMX calibrations do; nothing was written"
            )

    def configure_motors(self, return_delay_time: int = 0) -> None:
        """Return_Delay_Time 0 on every motor (torque must be off); torque off on failure."""
        try:
            self.apply(
                self.plan([(n, "Return_Delay_Time", return_delay_time) for n in self.motors])
            )
        except BaseException as exc:
            self._torque_off_after_failure(exc)
            raise

    def read_calibration(self) -> Calibration:
        """Offsets, limits and drive modes from the registers."""
        offsets = self.sync_read("Homing_Offset", normalize=False)
        mins = self.sync_read("Min_Position_Limit", normalize=False)
        maxes = self.sync_read("Max_Position_Limit", normalize=False)
        drive_modes = self.sync_read("Drive_Mode", normalize=False)
        return {
            name: MotorCalibration(
                id=m.id,
                drive_mode=int(drive_modes[name]) & 1,
                homing_offset=int(offsets[name]),
                range_min=int(mins[name]),
                range_max=int(maxes[name]),
            )
            for name, m in self.motors.items()
        }
