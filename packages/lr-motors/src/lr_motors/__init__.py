"""lr-motors: Feetech and Dynamixel servo buses, calibration and a servo emulator.

Names resolve lazily: ``import lr_motors`` loads neither pyserial nor dynamixel-sdk;
``from lr_motors import FeetechMotorsBus`` imports only what that bus needs.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

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
    "find_port": "lr_motors.find_port",
    "list_ports": "lr_motors.find_port",
    "normalize": "lr_motors.normalize",
    "robot_motors": "lr_motors.presets",
    "robot_servos": "lr_motors.emulator",
    "setup_motors": "lr_motors.setup",
    "unnormalize": "lr_motors.normalize",
}

__all__ = sorted([*_EXPORTS, "__version__"])

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
    from lr_motors.find_port import find_port, list_ports
    from lr_motors.normalize import normalize, unnormalize
    from lr_motors.presets import RobotMotors, robot_motors
    from lr_motors.setup import setup_motors


def __getattr__(name: str) -> Any:
    if name == "__version__":
        from importlib.metadata import version

        return version("lr-motors")
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'lr_motors' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
