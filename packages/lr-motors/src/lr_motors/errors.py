"""Errors raised by lr-motors, all under :class:`lr_core.errors.HardwareError`.

- :class:`MotorCommError`: a transaction failed after its last retry (timeout, corrupt reply);
  the message names the motor, the register and the port.
- :class:`MotorStatusError`: a servo answered with error bits set (overload, overheat, …).
- :class:`MotorsNotFoundError`: the connect handshake found missing or mismatched motors.
- :class:`MotorWriteVerifyError`: an EEPROM write did not read back (torque on, Lock set).
- :class:`MotorConfigError`: the bus was configured with something impossible (unknown model,
  register, value out of range of its encoding).
"""

from __future__ import annotations

from lr_core.errors import HardwareError


class MotorCommError(HardwareError):
    """Communication with one or more servos failed after every retry."""


class MotorStatusError(HardwareError):
    """A servo answered, but its status packet reports an error."""


class MotorsNotFoundError(MotorCommError):
    """Motors expected on the bus are missing or are of another model."""


class MotorWriteVerifyError(HardwareError):
    """A value written to a servo's EEPROM did not read back identically."""


class MotorConfigError(HardwareError, ValueError):
    """A motor, model, register or value that this bus cannot handle."""
