"""Errors raised by lr's cameras, under :class:`lr_core.errors.HardwareError`.

- :class:`CameraConnectionError`: a camera cannot be opened, or gave no frame while connecting
  (also a :class:`ConnectionError`, which LeRobot's cameras raise in the same places).
- :class:`CameraCaptureError`: the capture thread stopped on repeated read failures; the
  message names the camera and the last error.
"""

from __future__ import annotations

from lr_core.errors import HardwareError


class CameraConnectionError(HardwareError, ConnectionError):
    """A camera could not be opened or produced no frame while connecting."""


class CameraCaptureError(HardwareError):
    """A connected camera stopped delivering frames (its capture thread ended on errors)."""
