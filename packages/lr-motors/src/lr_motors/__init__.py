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
    from lr_motors.bus import BusStats as BusStats
    from lr_motors.bus import SerialBus as SerialBus
    from lr_motors.calibration import calibrate as calibrate
    from lr_motors.dynamixel.bus import DynamixelMotorsBus as DynamixelMotorsBus
    from lr_motors.emulator import ServoEmulator as ServoEmulator
    from lr_motors.emulator import ServoSpec as ServoSpec
    from lr_motors.emulator import emulated_port as emulated_port
    from lr_motors.emulator import robot_servos as robot_servos
    from lr_motors.errors import MotorCommError as MotorCommError
    from lr_motors.errors import MotorConfigError as MotorConfigError
    from lr_motors.errors import MotorsNotFoundError as MotorsNotFoundError
    from lr_motors.errors import MotorStatusError as MotorStatusError
    from lr_motors.errors import MotorWriteVerifyError as MotorWriteVerifyError
    from lr_motors.feetech.bus import FeetechMotorsBus as FeetechMotorsBus
    from lr_motors.normalization import normalize as normalize
    from lr_motors.normalization import unnormalize as unnormalize
    from lr_motors.ports import find_port as find_port
    from lr_motors.ports import list_ports as list_ports
    from lr_motors.presets import RobotMotors as RobotMotors
    from lr_motors.presets import robot_motors as robot_motors
    from lr_motors.setup import setup_motors as setup_motors
