"""Dynamixel X-series control table, model numbers, operating modes and baud-rate codes.

Addresses and sizes follow ROBOTIS' e-manual (and LeRobot's
``lerobot/motors/dynamixel/tables.py``). Registers below :data:`EEPROM_END` are EEPROM: the
servo refuses writes to them (access error) while torque is enabled.
"""

from __future__ import annotations

from enum import IntEnum

ControlTable = dict[str, tuple[int, int]]

EEPROM_END = 64

X_SERIES_CONTROL_TABLE: ControlTable = {
    "Model_Number": (0, 2),
    "Model_Information": (2, 4),
    "Firmware_Version": (6, 1),
    "ID": (7, 1),
    "Baud_Rate": (8, 1),
    "Return_Delay_Time": (9, 1),
    "Drive_Mode": (10, 1),
    "Operating_Mode": (11, 1),
    "Secondary_ID": (12, 1),
    "Protocol_Type": (13, 1),
    "Homing_Offset": (20, 4),
    "Moving_Threshold": (24, 4),
    "Temperature_Limit": (31, 1),
    "Max_Voltage_Limit": (32, 2),
    "Min_Voltage_Limit": (34, 2),
    "PWM_Limit": (36, 2),
    "Current_Limit": (38, 2),
    "Acceleration_Limit": (40, 4),
    "Velocity_Limit": (44, 4),
    "Max_Position_Limit": (48, 4),
    "Min_Position_Limit": (52, 4),
    "Shutdown": (63, 1),
    "Torque_Enable": (64, 1),
    "LED": (65, 1),
    "Status_Return_Level": (68, 1),
    "Registered_Instruction": (69, 1),
    "Hardware_Error_Status": (70, 1),
    "Velocity_I_Gain": (76, 2),
    "Velocity_P_Gain": (78, 2),
    "Position_D_Gain": (80, 2),
    "Position_I_Gain": (82, 2),
    "Position_P_Gain": (84, 2),
    "Feedforward_2nd_Gain": (88, 2),
    "Feedforward_1st_Gain": (90, 2),
    "Bus_Watchdog": (98, 1),
    "Goal_PWM": (100, 2),
    "Goal_Current": (102, 2),
    "Goal_Velocity": (104, 4),
    "Profile_Acceleration": (108, 4),
    "Profile_Velocity": (112, 4),
    "Goal_Position": (116, 4),
    "Realtime_Tick": (120, 2),
    "Moving": (122, 1),
    "Moving_Status": (123, 1),
    "Present_PWM": (124, 2),
    "Present_Current": (126, 2),
    "Present_Velocity": (128, 4),
    "Present_Position": (132, 4),
    "Velocity_Trajectory": (136, 4),
    "Position_Trajectory": (140, 4),
    "Present_Input_Voltage": (144, 2),
    "Present_Temperature": (146, 1),
}

READ_ONLY = frozenset(
    {
        "Model_Number",
        "Model_Information",
        "Firmware_Version",
        "Registered_Instruction",
        "Hardware_Error_Status",
        "Realtime_Tick",
        "Moving",
        "Moving_Status",
        "Present_PWM",
        "Present_Current",
        "Present_Velocity",
        "Present_Position",
        "Velocity_Trajectory",
        "Position_Trajectory",
        "Present_Input_Voltage",
        "Present_Temperature",
    }
)

#: bits/s -> ``Baud_Rate`` register value.
BAUDRATE_TABLE: dict[int, int] = {
    9_600: 0,
    57_600: 1,
    115_200: 2,
    1_000_000: 3,
    2_000_000: 4,
    3_000_000: 5,
    4_000_000: 6,
}

#: Two's-complement registers and their width in bytes.
SIGNED_REGISTERS: dict[str, int] = {
    name: X_SERIES_CONTROL_TABLE[name][1]
    for name in (
        "Homing_Offset",
        "Goal_PWM",
        "Goal_Current",
        "Goal_Velocity",
        "Goal_Position",
        "Present_Position",
        "Present_PWM",
        "Present_Current",
        "Present_Velocity",
    )
}

MODEL_NUMBER_TABLE: dict[str, int] = {
    "xl330-m077": 1190,
    "xl330-m288": 1200,
    "xl430-w250": 1060,
    "xm430-w350": 1020,
    "xm540-w270": 1120,
    "xc430-w150": 1070,
    "xh540-w150": 1110,
    "xc330-t288": 1220,
    "xc330-t181": 1210,
}

#: Signed values the registers accept (ROBOTIS e-manual, X series). In Position Control mode
#: (3) the servo ignores a ``Homing_Offset`` outside :data:`POSITION_MODE_HOMING_LIMIT`.
X_SERIES_REGISTER_LIMITS: dict[str, tuple[int, int]] = {
    "ID": (0, 252),  # 253 is reserved, 254 (0xFE) the broadcast id
    "Homing_Offset": (-1_044_479, 1_044_479),
    "Min_Position_Limit": (0, 4095),
    "Max_Position_Limit": (0, 4095),
}
POSITION_MODE_HOMING_LIMIT = 1024

MODEL_OPERATING_MODES: dict[str, list[int]] = {
    "xl330-m077": [0, 1, 3, 4, 5, 16],
    "xl330-m288": [0, 1, 3, 4, 5, 16],
    "xl430-w250": [1, 3, 4, 16],
    "xm430-w350": [0, 1, 3, 4, 5, 16],
    "xm540-w270": [0, 1, 3, 4, 5, 16],
    "xc430-w150": [1, 3, 4, 16],
    "xh540-w150": [0, 1, 3, 4, 5, 16],
    "xc330-t288": [0, 1, 3, 4, 5, 16],
    "xc330-t181": [0, 1, 3, 4, 5, 16],
}

MODELS = tuple(MODEL_NUMBER_TABLE)
MODEL_CONTROL_TABLE: dict[str, ControlTable] = dict.fromkeys(MODELS, X_SERIES_CONTROL_TABLE)
MODEL_RESOLUTION: dict[str, int] = dict.fromkeys(MODELS, 4096)
MODEL_REGISTER_LIMITS: dict[str, dict[str, tuple[int, int]]] = dict.fromkeys(
    MODELS, X_SERIES_REGISTER_LIMITS
)


class OperatingMode(IntEnum):
    """Values of ``Operating_Mode``."""

    CURRENT = 0
    VELOCITY = 1
    POSITION = 3
    EXTENDED_POSITION = 4
    CURRENT_POSITION = 5
    PWM = 16


class DriveMode(IntEnum):
    """Bit 0 of ``Drive_Mode``: direction of rotation."""

    NON_INVERTED = 0
    INVERTED = 1
