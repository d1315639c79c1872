"""Feetech control tables, model numbers, resolutions and baud-rate codes.

Addresses and sizes are those of Feetech's manuals, as LeRobot uses them
(``lerobot/motors/feetech/tables.py``), so register names are the same in both projects.
Registers below :data:`EEPROM_END` live in EEPROM: they persist across power cycles, and the
servo stores them only while its ``Lock`` register is 0.
"""

from __future__ import annotations

#: ``name -> (address, size in bytes)``
ControlTable = dict[str, tuple[int, int]]

FIRMWARE_MAJOR_VERSION = (0, 1)
FIRMWARE_MINOR_VERSION = (1, 1)
MODEL_NUMBER = (3, 2)

#: First RAM address: everything below is EEPROM (``ID``, ``Baud_Rate``, limits, offset, …).
EEPROM_END = 40

STS_SMS_SERIES_CONTROL_TABLE: ControlTable = {
    # EEPROM
    "Firmware_Major_Version": FIRMWARE_MAJOR_VERSION,
    "Firmware_Minor_Version": FIRMWARE_MINOR_VERSION,
    "Model_Number": MODEL_NUMBER,
    "ID": (5, 1),
    "Baud_Rate": (6, 1),
    "Return_Delay_Time": (7, 1),
    "Response_Status_Level": (8, 1),
    "Min_Position_Limit": (9, 2),
    "Max_Position_Limit": (11, 2),
    "Max_Temperature_Limit": (13, 1),
    "Max_Voltage_Limit": (14, 1),
    "Min_Voltage_Limit": (15, 1),
    "Max_Torque_Limit": (16, 2),
    "Phase": (18, 1),
    "Unloading_Condition": (19, 1),
    "LED_Alarm_Condition": (20, 1),
    "P_Coefficient": (21, 1),
    "D_Coefficient": (22, 1),
    "I_Coefficient": (23, 1),
    "Minimum_Startup_Force": (24, 2),
    "CW_Dead_Zone": (26, 1),
    "CCW_Dead_Zone": (27, 1),
    "Protection_Current": (28, 2),
    "Angular_Resolution": (30, 1),
    "Homing_Offset": (31, 2),
    "Operating_Mode": (33, 1),
    "Protective_Torque": (34, 1),
    "Protection_Time": (35, 1),
    "Overload_Torque": (36, 1),
    "Velocity_closed_loop_P_proportional_coefficient": (37, 1),
    "Over_Current_Protection_Time": (38, 1),
    "Velocity_closed_loop_I_integral_coefficient": (39, 1),
    # RAM
    "Torque_Enable": (40, 1),
    "Acceleration": (41, 1),
    "Goal_Position": (42, 2),
    "Goal_Time": (44, 2),
    "Goal_Velocity": (46, 2),
    "Torque_Limit": (48, 2),
    "Lock": (55, 1),
    "Present_Position": (56, 2),
    "Present_Velocity": (58, 2),
    "Present_Load": (60, 2),
    "Present_Voltage": (62, 1),
    "Present_Temperature": (63, 1),
    "Status": (65, 1),
    "Moving": (66, 1),
    "Present_Current": (69, 2),
    "Goal_Position_2": (71, 2),
    # factory area
    "Moving_Velocity": (80, 1),
    "Moving_Velocity_Threshold": (80, 1),
    "DTs": (81, 1),
    "Velocity_Unit_factor": (82, 1),
    "Hts": (83, 1),
    "Maximum_Velocity_Limit": (84, 1),
    "Maximum_Acceleration": (85, 1),
    "Acceleration_Multiplier ": (86, 1),
}

SCS_SERIES_CONTROL_TABLE: ControlTable = {
    # EEPROM
    "Firmware_Major_Version": FIRMWARE_MAJOR_VERSION,
    "Firmware_Minor_Version": FIRMWARE_MINOR_VERSION,
    "Model_Number": MODEL_NUMBER,
    "ID": (5, 1),
    "Baud_Rate": (6, 1),
    "Return_Delay_Time": (7, 1),
    "Response_Status_Level": (8, 1),
    "Min_Position_Limit": (9, 2),
    "Max_Position_Limit": (11, 2),
    "Max_Temperature_Limit": (13, 1),
    "Max_Voltage_Limit": (14, 1),
    "Min_Voltage_Limit": (15, 1),
    "Max_Torque_Limit": (16, 2),
    "Phase": (18, 1),
    "Unloading_Condition": (19, 1),
    "LED_Alarm_Condition": (20, 1),
    "P_Coefficient": (21, 1),
    "D_Coefficient": (22, 1),
    "I_Coefficient": (23, 1),
    "Minimum_Startup_Force": (24, 2),
    "CW_Dead_Zone": (26, 1),
    "CCW_Dead_Zone": (27, 1),
    "Protective_Torque": (37, 1),
    "Protection_Time": (38, 1),
    # RAM
    "Torque_Enable": (40, 1),
    "Acceleration": (41, 1),
    "Goal_Position": (42, 2),
    "Running_Time": (44, 2),
    "Goal_Velocity": (46, 2),
    "Lock": (48, 1),
    "Present_Position": (56, 2),
    "Present_Velocity": (58, 2),
    "Present_Load": (60, 2),
    "Present_Voltage": (62, 1),
    "Present_Temperature": (63, 1),
    "Sync_Write_Flag": (64, 1),
    "Status": (65, 1),
    "Moving": (66, 1),
    # factory area
    "PWM_Maximum_Step": (78, 1),
    "Moving_Velocity_Threshold*50": (79, 1),
    "DTs": (80, 1),
    "Minimum_Velocity_Limit*50": (81, 1),
    "Maximum_Velocity_Limit*50": (82, 1),
    "Acceleration_2": (83, 1),
}

#: Registers a servo never lets a client write.
READ_ONLY = frozenset(
    {
        "Firmware_Major_Version",
        "Firmware_Minor_Version",
        "Model_Number",
        "Present_Position",
        "Present_Velocity",
        "Present_Load",
        "Present_Voltage",
        "Present_Temperature",
        "Sync_Write_Flag",
        "Status",
        "Moving",
        "Present_Current",
        "Goal_Position_2",
    }
)

#: bits/s -> value of the ``Baud_Rate`` register (identical for STS, SMS and SCS).
BAUDRATE_TABLE: dict[int, int] = {
    1_000_000: 0,
    500_000: 1,
    250_000: 2,
    128_000: 3,
    115_200: 4,
    57_600: 5,
    38_400: 6,
    19_200: 7,
}

#: Baud rates tried, in this order, when looking for a motor whose baud rate is unknown.
SCAN_BAUDRATES = [4_800, 9_600, 14_400, 19_200, 38_400, 57_600, 115_200, 128_000, 250_000,
                  500_000, 1_000_000]  # fmt: skip

#: Sign bit of each sign-magnitude register (STS/SMS; SCS registers are unsigned).
STS_SMS_SIGN_BITS: dict[str, int] = {
    "Present_Load": 10,
    "Homing_Offset": 11,
    "Goal_Position": 15,
    "Goal_Velocity": 15,
    "Goal_Speed": 15,
    "Present_Position": 15,
    "Present_Velocity": 15,
    "Present_Speed": 15,
}

MODEL_NUMBER_TABLE: dict[str, int] = {
    "sts3215": 777,
    "sts3250": 2825,
    "sm8512bl": 11272,
    "scs0009": 1284,
}

MODEL_CONTROL_TABLE: dict[str, ControlTable] = {
    "sts3215": STS_SMS_SERIES_CONTROL_TABLE,
    "sts3250": STS_SMS_SERIES_CONTROL_TABLE,
    "sm8512bl": STS_SMS_SERIES_CONTROL_TABLE,
    "scs0009": SCS_SERIES_CONTROL_TABLE,
}

MODEL_RESOLUTION: dict[str, int] = {"sts3215": 4096, "sts3250": 4096, "sm8512bl": 4096,
                                    "scs0009": 1024}  # fmt: skip

MODEL_SIGN_BITS: dict[str, dict[str, int]] = {
    "sts3215": STS_SMS_SIGN_BITS,
    "sts3250": STS_SMS_SIGN_BITS,
    "sm8512bl": STS_SMS_SIGN_BITS,
    "scs0009": {},
}


def _limits(resolution: int, homing: bool) -> dict[str, tuple[int, int]]:
    out = {
        "ID": (0, 253),  # 254 (0xFE) is the broadcast id
        "Min_Position_Limit": (0, resolution - 1),
        "Max_Position_Limit": (0, resolution - 1),
    }
    if homing:
        # sign-magnitude with the sign at bit 11: ±2047, one value short of a half turn
        out["Homing_Offset"] = (-((1 << 11) - 1), (1 << 11) - 1)
    return out


#: ``model -> register -> (lowest, highest)`` signed values the servo accepts.
MODEL_REGISTER_LIMITS: dict[str, dict[str, tuple[int, int]]] = {
    "sts3215": _limits(4096, True),
    "sts3250": _limits(4096, True),
    "sm8512bl": _limits(4096, True),
    "scs0009": _limits(1024, False),
}

#: Protocol 0 = STS/SMS (little-endian words), 1 = SCS (big-endian, no SYNC_READ).
MODEL_PROTOCOL: dict[str, int] = {"sts3215": 0, "sts3250": 0, "sm8512bl": 0, "scs0009": 1}

#: Feetech models this package knows.
MODELS = tuple(MODEL_NUMBER_TABLE)
