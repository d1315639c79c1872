"""lr-motors: Feetech and Dynamixel servo buses, calibration and a servo emulator.

Names resolve lazily: ``import lr_motors`` loads neither pyserial nor dynamixel-sdk;
``from lr_motors import FeetechMotorsBus`` imports only what that bus needs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lr_core.lazy import lazy_exports

_EXPORTS: dict[str, str] = {
    "BusStats": "lr_motors.bus",
    "DynamixelMotorsBus": "lr_motors.dynamixel.bus",
    "FeetechMotorsBus": "lr_motors.feetech.bus",
    "MotorCommError": "lr_motors.errors",
    "MotorConfigError": "lr_motors.errors",
    "MotorStatusError": "lr_motors.errors",
    "MotorWriteVerifyError": "lr_motors.errors",
    "MotorsNotFoundError": "lr_motors.errors",
    "RobotMotors": "lr_motors.presets",
    "SerialBus": "lr_motors.bus",
    "ServoEmulator": "lr_motors.emulator",
    "ServoSpec": "lr_motors.emulator",
    "calibrate": "lr_motors.calibration",
    "emulated_port": "lr_motors.emulator",
    "find_port": "lr_motors.ports",
    "list_ports": "lr_motors.ports",
    "normalize": "lr_motors.normalization",
    "robot_motors": "lr_motors.presets",
    "robot_servos": "lr_motors.emulator",
    "setup_motors": "lr_motors.setup",
    "unnormalize": "lr_motors.normalization",
}

__all__, __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, distribution="lr-motors")


if TYPE_CHECKING:
    from lr_motors.bus import BusStats, SerialBus
    from lr_motors.calibration import calibrate
    from lr_motors.dynamixel.bus import DynamixelMotorsBus
    from lr_motors.emulator import ServoEmulator, ServoSpec, emulated_port, robot_servos
    from lr_motors.errors import (
        MotorCommError,
        MotorConfigError,
        MotorsNotFoundError,
        MotorStatusError,
        MotorWriteVerifyError,
    )
    from lr_motors.feetech.bus import FeetechMotorsBus
    from lr_motors.normalization import normalize, unnormalize
    from lr_motors.ports import find_port, list_ports
    from lr_motors.presets import RobotMotors, robot_motors
    from lr_motors.setup import setup_motors
