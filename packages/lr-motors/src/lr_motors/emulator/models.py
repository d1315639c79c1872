"""What the emulator knows about each servo model: table, EEPROM area, factory defaults."""

from __future__ import annotations

from dataclasses import dataclass, field

from lr_motors.dynamixel import tables as dxl_tables
from lr_motors.feetech import tables as ft_tables


@dataclass(frozen=True)
class ModelSpec:
    """Static description of one servo model for the emulator."""

    name: str
    vendor: str  # "feetech" | "dynamixel"
    number: int
    table: dict[str, tuple[int, int]]
    eeprom_end: int
    resolution: int
    protocol: int  # feetech 0 (little-endian) / 1 (big-endian); dynamixel 2
    read_only: frozenset[str]
    baudrates: dict[int, int]
    #: maximum speed in ticks/s with no speed limit set
    max_speed: float
    defaults: dict[str, int] = field(default_factory=dict[str, int])
    #: values ``Operating_Mode`` accepts (Dynamixel; empty: no check)
    operating_modes: tuple[int, ...] = ()

    def read_only_addresses(self) -> frozenset[int]:
        """Every byte address a client cannot write."""
        return frozenset(
            a
            for name in self.read_only
            if name in self.table
            for a in range(self.table[name][0], self.table[name][0] + self.table[name][1])
        )


_STS_DEFAULTS = {
    "Firmware_Major_Version": 3,
    "Firmware_Minor_Version": 10,
    "Baud_Rate": 0,
    "Return_Delay_Time": 250,
    "Response_Status_Level": 1,
    "Min_Position_Limit": 0,
    "Max_Position_Limit": 4095,
    "Max_Temperature_Limit": 70,
    "Max_Voltage_Limit": 140,
    "Min_Voltage_Limit": 40,
    "Max_Torque_Limit": 1000,
    "Phase": 0x0C,
    "Unloading_Condition": 44,
    "LED_Alarm_Condition": 47,
    "P_Coefficient": 32,
    "D_Coefficient": 32,
    "I_Coefficient": 0,
    "Minimum_Startup_Force": 16,
    "CW_Dead_Zone": 1,
    "CCW_Dead_Zone": 1,
    "Protection_Current": 500,
    "Angular_Resolution": 1,
    "Operating_Mode": 0,
    "Protective_Torque": 20,
    "Protection_Time": 200,
    "Overload_Torque": 80,
    "Torque_Limit": 1000,
    "Acceleration": 0,
    "Lock": 1,
    "Present_Voltage": 74,
    "Present_Temperature": 28,
    "Maximum_Acceleration": 0,
}

_SCS_DEFAULTS = {
    k: v for k, v in _STS_DEFAULTS.items() if k in ft_tables.SCS_SERIES_CONTROL_TABLE
} | {"Max_Position_Limit": 1023}

_X_DEFAULTS = {
    "Firmware_Version": 52,
    "Baud_Rate": 1,
    "Return_Delay_Time": 250,
    "Drive_Mode": 0,
    "Operating_Mode": 3,
    "Protocol_Type": 2,
    "Moving_Threshold": 10,
    "Temperature_Limit": 72,
    "Max_Voltage_Limit": 140,
    "Min_Voltage_Limit": 60,
    "PWM_Limit": 885,
    "Current_Limit": 1750,
    "Velocity_Limit": 445,
    "Max_Position_Limit": 4095,
    "Min_Position_Limit": 0,
    "Shutdown": 52,
    "Status_Return_Level": 2,
    "Velocity_I_Gain": 1000,
    "Velocity_P_Gain": 100,
    "Position_P_Gain": 800,
    "Present_Input_Voltage": 74,
    "Present_Temperature": 30,
}


def _feetech(name: str) -> ModelSpec:
    table = ft_tables.MODEL_CONTROL_TABLE[name]
    protocol = ft_tables.MODEL_PROTOCOL[name]
    return ModelSpec(
        name=name,
        vendor="feetech",
        number=ft_tables.MODEL_NUMBER_TABLE[name],
        table=table,
        eeprom_end=ft_tables.EEPROM_END,
        resolution=ft_tables.MODEL_RESOLUTION[name],
        protocol=protocol,
        read_only=ft_tables.READ_ONLY,
        baudrates=ft_tables.BAUDRATE_TABLE,
        max_speed=3400.0 if protocol == 0 else 800.0,
        defaults=_STS_DEFAULTS if protocol == 0 else _SCS_DEFAULTS,
    )


def _dynamixel(name: str) -> ModelSpec:
    return ModelSpec(
        name=name,
        vendor="dynamixel",
        number=dxl_tables.MODEL_NUMBER_TABLE[name],
        table=dxl_tables.X_SERIES_CONTROL_TABLE,
        eeprom_end=dxl_tables.EEPROM_END,
        resolution=dxl_tables.MODEL_RESOLUTION[name],
        protocol=2,
        read_only=dxl_tables.READ_ONLY,
        baudrates=dxl_tables.BAUDRATE_TABLE,
        max_speed=4000.0,
        defaults=_X_DEFAULTS,
        operating_modes=tuple(dxl_tables.MODEL_OPERATING_MODES[name]),
    )


MODELS: dict[str, ModelSpec] = {
    **{name: _feetech(name) for name in ft_tables.MODELS},
    **{name: _dynamixel(name) for name in dxl_tables.MODELS},
}


def model_spec(name: str) -> ModelSpec:
    """The spec of ``name``; raises ``ValueError`` naming the known models."""
    try:
        return MODELS[name]
    except KeyError:
        raise ValueError(f"unknown servo model {name!r}; known: {', '.join(MODELS)}") from None
