"""One virtual servo: its register memory, EEPROM rules, torque and position dynamics.

The motor shaft follows a first-order response toward the goal (time constant ``tau``) with a
speed limit. Positions live in the servo's *actual* frame (encoder ticks with no offset); the
registers show them through the vendor's homing rule:

- Feetech: ``Present_Position = (actual - Homing_Offset) mod resolution`` (sign-magnitude offset).
- Dynamixel: ``Present_Position = actual + Homing_Offset`` (negated first when ``Drive_Mode``
  bit 0 is set); in Position Control mode an offset beyond ±1024 is ignored, as the ROBOTIS
  e-manual says of Homing Offset(20).

EEPROM (addresses below the model's ``eeprom_end``) survives :meth:`VirtualServo.power_cycle`
only when it was written while the Feetech ``Lock`` register was 0 (with ``Lock`` 1 the value
is used until power-off, as on the real servo); a Dynamixel refuses EEPROM writes with an
access error while torque is on. Enabling torque makes the servo hold its present position
(the goal is set to it). ``Return_Delay_Time`` is stored but not waited for.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from lr_motors.emulator.models import ModelSpec

#: Dynamixel velocity unit: 0.229 rpm, in ticks/s for a 4096-tick encoder.
_DXL_VELOCITY_UNIT = 0.229 * 4096 / 60

ACCESS_ERROR = 7
DATA_LIMIT_ERROR = 6
DATA_RANGE_ERROR = 4


@dataclass
class Faults:
    """Faults injected into one servo. Counts are for the next N replies (-1: forever)."""

    no_reply: int = 0
    corrupt: int = 0
    delay_s: float = 0.0
    error: int = 0
    #: line noise: stray bytes sent before the next N replies
    noise: int = 0


class VirtualServo:
    """Register memory plus dynamics of one servo on the emulated bus."""

    def __init__(
        self,
        name: str,
        spec: ModelSpec,
        motor_id: int,
        baudrate: int,
        position: float,
        *,
        attached: bool = True,
        tau: float = 0.03,
    ) -> None:
        self.name = name
        self.spec = spec
        self.attached = attached
        self.tau = tau
        self.faults = Faults()
        self.memory = bytearray(256)
        self._rate_of_code = {code: rate for rate, code in spec.baudrates.items()}
        self._dirty = True
        self._read_only = spec.read_only_addresses()
        self._feetech = spec.vendor == "feetech"
        self._endian = "big" if spec.protocol == 1 else "little"
        self._reg = spec.table
        for reg, value in spec.defaults.items():
            if reg in self._reg:
                self.set(reg, value)
        self.set("Model_Number", spec.number)
        self.set("ID", motor_id)
        self.set("Baud_Rate", spec.baudrates[baudrate])
        self.actual = float(position)
        self.velocity = 0.0
        #: where a hand holds the shaft (actual ticks), overpowering the motor; None: free
        self.hand: float | None = None
        self._last_update: float | None = None
        self.pending: tuple[int, bytes] | None = None  # REG_WRITE waiting for ACTION
        #: whether a client has written Baud_Rate (how setup ends, even for a servo left at id 1)
        self.baudrate_written = False
        self._refresh()
        self.set("Goal_Position", self._encode_signed("Goal_Position", self.present_position()))
        self.persisted = bytes(self.memory[: spec.eeprom_end])
        self._ram_defaults = bytes(self.memory[spec.eeprom_end :])

    def power_cycle(self) -> None:
        """Power off and on: EEPROM reloads what was persisted, RAM its defaults."""
        self.memory[: self.spec.eeprom_end] = self.persisted
        self.memory[self.spec.eeprom_end :] = self._ram_defaults
        self.pending = None
        self.velocity = 0.0
        self._refresh()
        self.set("Goal_Position", self._encode_signed("Goal_Position", self.present_position()))

    # raw register access ------------------------------------------------------------------
    def get(self, name: str) -> int:
        """Unsigned value of register ``name``."""
        addr, size = self._reg[name]
        return int.from_bytes(self.memory[addr : addr + size], self._endian)

    def set(self, name: str, value: int) -> None:
        """Store an unsigned value into register ``name`` (no access rules)."""
        self._put(name, value)
        self._dirty = True

    def _put(self, name: str, value: int) -> None:
        addr, size = self._reg[name]
        self.memory[addr : addr + size] = (value & ((1 << (8 * size)) - 1)).to_bytes(
            size, self._endian
        )

    def _decode_signed(self, name: str, raw: int) -> int:
        size = self._reg[name][1]
        if self._feetech:
            bit = {"Homing_Offset": 11, "Present_Load": 10}.get(name, 15)
            if self.spec.protocol == 1:
                return raw
            mag = raw & ((1 << bit) - 1)
            return -mag if raw >> bit & 1 else mag
        return raw - (1 << 8 * size) if raw & (1 << (8 * size - 1)) else raw

    def _encode_signed(self, name: str, value: int) -> int:
        size = self._reg[name][1]
        if self._feetech:
            bit = {"Homing_Offset": 11, "Present_Load": 10}.get(name, 15)
            if self.spec.protocol == 1:
                return max(0, value)
            mag = min(abs(int(value)), (1 << bit) - 1)
            return (1 << bit) | mag if value < 0 else mag
        return int(value) & ((1 << 8 * size) - 1)

    def _mode_register(self) -> int:
        # SCS servos have no Operating_Mode register: they are position servos
        return self.get("Operating_Mode") if "Operating_Mode" in self._reg else 0

    @property
    def id(self) -> int:
        """Current bus id."""
        return self.memory[self._reg["ID"][0]]

    @property
    def baudrate(self) -> int:
        """Current baud rate in bits/s (-1 for a register value no rate maps to)."""
        return self._rate_of_code.get(self.memory[self._reg["Baud_Rate"][0]], -1)

    @property
    def torque(self) -> bool:
        """Whether torque is enabled."""
        return self.get("Torque_Enable") != 0

    # frames --------------------------------------------------------------------------------
    def _offset(self) -> int:
        if "Homing_Offset" not in self._reg:
            return 0
        offset = self._decode_signed("Homing_Offset", self.get("Homing_Offset"))
        if not self._feetech and self._mode_register() == 3 and abs(offset) > 1024:
            return 0  # ROBOTIS: in Position Control mode an offset beyond ±1024 is ignored
        return offset

    def _inverted(self) -> bool:
        return not self._feetech and bool(self.get("Drive_Mode") & 1)

    def present_position(self) -> int:
        """``Present_Position`` as a signed number, from the actual shaft position."""
        actual = round(self.actual)
        if self._feetech:
            return (actual - self._offset()) % self.spec.resolution
        return (-actual if self._inverted() else actual) + self._offset()

    def _goal_actual(self) -> float:
        goal = self._decode_signed("Goal_Position", self.get("Goal_Position"))
        if self._feetech:
            lo, hi = self.get("Min_Position_Limit"), self.get("Max_Position_Limit")
            if lo or hi:
                goal = min(max(goal, lo), hi)
            # the servo regulates its wrapped reading (0..res-1), not the shaft's turns: the
            # goal is reached along the reading's scale, never by a turn through the seam
            present = (self.actual - self._offset()) % self.spec.resolution
            return self.actual + (goal - present)
        if self._mode_register() == 3:
            lo = self._decode_signed("Goal_Position", self.get("Min_Position_Limit"))
            hi = self._decode_signed("Goal_Position", self.get("Max_Position_Limit"))
            goal = min(max(goal, lo), hi)
        value = goal - self._offset()
        return float(-value if self._inverted() else value)

    def _speed_limit(self) -> float:
        if self._feetech:
            speed = self._decode_signed("Goal_Velocity", self.get("Goal_Velocity"))
            return float(abs(speed)) if speed else self.spec.max_speed
        profile = self.get("Profile_Velocity")
        return profile * _DXL_VELOCITY_UNIT if profile else self.spec.max_speed

    # dynamics ------------------------------------------------------------------------------
    def _reconfigure(self) -> None:
        """Decode the registers the dynamics use (after any write)."""
        self._dirty = False
        self._torque = self.torque
        self._mode = self._mode_register()
        self._position_mode = (self._feetech and self._mode == 0) or (
            not self._feetech and self._mode in (3, 4, 5)
        )
        self._goal = self._goal_actual()
        self._limit = self._speed_limit()
        if self._mode == 1:
            goal = self._decode_signed("Goal_Velocity", self.get("Goal_Velocity"))
            speed = float(goal if self._feetech else goal * _DXL_VELOCITY_UNIT)
            self._goal_speed = max(-self.spec.max_speed, min(self.spec.max_speed, speed))

    def update(self, now: float) -> None:
        """Advance the shaft to time ``now`` (seconds, monotonic) and refresh Present_*."""
        changed = self._dirty
        if changed:
            self._reconfigure()
        last, self._last_update = self._last_update, now
        dt = now - last if last is not None else 0.0
        if dt > 0 and self.hand is not None:
            self.actual = self.hand
            changed = changed or self.velocity != 0.0
            self.velocity = 0.0
        elif dt > 0:
            velocity = 0.0
            if self._torque and self._mode == 1:
                velocity = self._goal_speed
                self.actual += velocity * dt
            elif self._torque and self._position_mode:
                error = self._goal - self.actual
                if abs(error) > 1e-3:
                    step = error * (1.0 - math.exp(-dt / self.tau))
                    limit = self._limit * dt
                    step = max(-limit, min(limit, step))
                    self.actual += step
                    velocity = step / dt
                elif self.actual != self._goal:
                    self.actual = self._goal
                    changed = True
            if velocity or self.velocity:
                changed = True
            self.velocity = velocity
        if changed:
            self._refresh()

    def _refresh(self) -> None:
        present = self.present_position()
        self._put("Present_Position", self._encode_signed("Present_Position", present))
        if "Present_Velocity" in self._reg:
            vel = self.velocity if self._feetech else self.velocity / _DXL_VELOCITY_UNIT
            self._put("Present_Velocity", self._encode_signed("Present_Velocity", round(vel)))
        self._put("Moving", int(abs(self.velocity) > 1.0))
        if self._feetech and "Present_Load" in self._reg:
            load = 0
            if self.torque and self._mode_register() == 0:
                load = max(-1000, min(1000, round((self._goal_actual() - self.actual) * 2)))
            self._put("Present_Load", self._encode_signed("Present_Load", load))

    def move_to(self, present: int) -> None:
        """Put the shaft where ``Present_Position`` reads ``present`` (a hand moving the arm)."""
        if self._feetech:
            self.actual = float(present + self._offset())
        else:
            value = present - self._offset()
            self.actual = float(-value if self._inverted() else value)
        if self.torque:
            self.set("Goal_Position", self._encode_signed("Goal_Position", present))
        self._dirty = True
        self._refresh()

    def press(self, present: int) -> None:
        """A hand holds the shaft where ``Present_Position`` reads ``present``, whatever the
        motor does (a finger squeezing a current-limited trigger); the goal is unchanged."""
        if self._feetech:
            self.hand = float(present + self._offset())
        else:
            value = present - self._offset()
            self.hand = float(-value if self._inverted() else value)
        self.actual = self.hand
        self._refresh()

    def release(self) -> None:
        """The hand lets go: the motor drives the shaft back toward its goal."""
        self.hand = None

    # client access -------------------------------------------------------------------------
    def read(self, address: int, size: int) -> bytes:
        """Bytes ``address .. address+size`` as a READ returns them."""
        return bytes(self.memory[address : address + size])

    def write(self, address: int, data: bytes) -> int:
        """Apply a WRITE; returns a Dynamixel error code (0 when accepted).

        Feetech servos ignore writes to read-only bytes, and keep EEPROM writes made while
        ``Lock`` is 1 only until power-off; Dynamixel servos reject a write touching read-only
        bytes, or EEPROM while torque is on, with an access error.
        """
        end = address + len(data)
        if end > len(self.memory):
            return DATA_LIMIT_ERROR
        touches_ro = any(a in self._read_only for a in range(address, end))
        touches_eeprom = address < self.spec.eeprom_end
        if not self._feetech and (touches_ro or (touches_eeprom and self.torque)):
            return ACCESS_ERROR
        if self.spec.operating_modes:
            mode_addr = self._reg["Operating_Mode"][0]
            if address <= mode_addr < end and data[mode_addr - address] not in (
                self.spec.operating_modes
            ):
                return DATA_RANGE_ERROR
        if not touches_eeprom and self.memory[address:end] == data:
            return 0  # nothing changes (a goal written again every cycle)
        baud_addr = self._reg["Baud_Rate"][0]
        if address <= baud_addr < end:
            self.baudrate_written = True
        torque_before = self.torque
        persist = not (self._feetech and self.get("Lock") != 0)
        for i, byte in enumerate(data):
            a = address + i
            if a in self._read_only:
                continue
            self.memory[a] = byte
        if touches_eeprom and persist:
            self.persisted = bytes(self.memory[: self.spec.eeprom_end])
        if self.torque and not torque_before:
            self._put(
                "Goal_Position", self._encode_signed("Goal_Position", self.present_position())
            )
        self._dirty = True
        return 0
