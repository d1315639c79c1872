"""The lr error tree.

Every error lr raises on purpose derives from :class:`LrError`, so callers can catch the whole
family in one place. Each distribution subclasses the branch that fits it (lr-motors raises
``MotorCommError(HardwareError)``, lr-dataset ``DatasetFormatError(DataError)``, ...).
Messages name the thing that is wrong (file, key, motor id, port) and say how to fix it.

Tree (branches defined here; leaves live in the packages that raise them)::

    LrError
    ├── ConfigError          a configuration value, file or command-line flag is invalid
    ├── PluginError          an entry point is missing, broken or of the wrong kind
    ├── MissingDependencyError  an optional dependency (extra) is not installed
    ├── FeatureError         a feature spec or a frame does not match its declared features
    ├── WireFormatError      a message on the wire is malformed or of an unknown kind
    ├── HardwareError        anything raised while talking to a device
    │   ├── CalibrationError a calibration file or a calibration step is invalid
    │   └── DeviceNotConnectedError / DeviceAlreadyConnectedError
    └── DataError            anything about datasets and their files
"""

from __future__ import annotations

from types import ModuleType


class LrError(Exception):
    """Root of every error raised on purpose by lr."""


class ConfigError(LrError, ValueError):
    """A configuration value, file or command-line flag is invalid."""


class PluginError(LrError, LookupError):
    """A plugin (entry point) cannot be found, loaded, or is of the wrong kind."""


class MissingDependencyError(LrError, ImportError):
    """An optional dependency is missing; the message names the extra to install."""


class FeatureError(LrError, ValueError):
    """A feature specification, or a value checked against one, is invalid."""


class WireFormatError(LrError, ValueError):
    """A wire message cannot be encoded or decoded."""


class HardwareError(LrError, RuntimeError):
    """Base of errors raised while talking to hardware (motors, cameras, robots)."""


class CalibrationError(HardwareError):
    """A calibration file or calibration procedure is invalid."""


class DeviceNotConnectedError(HardwareError):
    """An operation needs a connected device, and it is not connected."""


class DeviceAlreadyConnectedError(HardwareError):
    """``connect()`` was called on a device that is already connected."""


class NoTerminalError(LrError):
    """A command needs someone to answer a prompt and standard input is closed (a service, a
    pipe, a script)."""


class DataError(LrError):
    """Base of errors about datasets and their files."""


def require(module: str, extra: str, distribution: str) -> ModuleType:
    """Import ``module`` or raise :class:`MissingDependencyError` naming the extra to install.

    ``require("torch", "torch", "lr-dataset")`` → the torch module, or an error that says
    ``pip install 'lr-dataset[torch]'``.
    """
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingDependencyError(
            f"{module!r} is needed here but is not installed; install it with "
            f"`pip install '{distribution}[{extra}]'` (or `uv sync` in the lr workspace)"
        ) from exc
