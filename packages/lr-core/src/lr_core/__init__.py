"""lr-core: the interfaces every lr distribution shares.

Names are resolved lazily, so ``import lr_core`` costs almost nothing; ``from lr_core import
FeatureSpec`` imports only the module that defines it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lr_core.lazy import lazy_exports

_EXPORTS: dict[str, str] = {
    # errors
    "LrError": "lr_core.errors",
    "ConfigError": "lr_core.errors",
    "PluginError": "lr_core.errors",
    "MissingDependencyError": "lr_core.errors",
    "FeatureError": "lr_core.errors",
    "WireFormatError": "lr_core.errors",
    "HardwareError": "lr_core.errors",
    "CalibrationError": "lr_core.errors",
    "DeviceNotConnectedError": "lr_core.errors",
    "DeviceAlreadyConnectedError": "lr_core.errors",
    "DataError": "lr_core.errors",
    # features
    "FeatureSpec": "lr_core.features",
    "FeatureType": "lr_core.features",
    "PolicyFeature": "lr_core.features",
    "DEFAULT_FEATURES": "lr_core.features",
    "dataset_to_policy_features": "lr_core.features",
    "features_from_json": "lr_core.features",
    "features_to_json": "lr_core.features",
    "hw_to_dataset_features": "lr_core.features",
    # motors and calibration
    "Motor": "lr_core.motors",
    "MotorNormMode": "lr_core.motors",
    "MotorCalibration": "lr_core.motors",
    "load_calibration": "lr_core.motors",
    "save_calibration": "lr_core.motors",
    # contracts and their config bases
    "MotorsBus": "lr_core.motors_bus",
    "Robot": "lr_core.robot",
    "Teleoperator": "lr_core.teleoperator",
    "Camera": "lr_core.camera",
    "Policy": "lr_core.policy",
    "RemotePolicy": "lr_core.policy",
    "connect_remote_policy": "lr_core.policy",
    "RobotConfig": "lr_core.devices",
    "TeleoperatorConfig": "lr_core.devices",
    "CameraConfig": "lr_core.devices",
    "PolicyConfig": "lr_core.policy",
    "PolicyRunner": "lr_core.policy_runner",
    "load_policy_runner": "lr_core.policy_runner",
    "EnvConfig": "lr_core.env",
    # configuration
    "LrConfig": "lr_core.config",
    "PluginConfig": "lr_core.config",
    "parse_cli": "lr_core.config",
    # inference messages and wire format
    "PolicySpec": "lr_core.messages",
    "TimedObservation": "lr_core.messages",
    "ActionChunk": "lr_core.messages",
    "TimingStamps": "lr_core.messages",
    "encode": "lr_core.wire",
    "decode": "lr_core.wire",
    # command line
    "Command": "lr_core.cli",
    "CommandGroup": "lr_core.cli",
}

__all__, __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, distribution="lr-core")


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from lr_core.camera import Camera
    from lr_core.cli import Command, CommandGroup
    from lr_core.config import LrConfig, PluginConfig, parse_cli
    from lr_core.devices import CameraConfig, RobotConfig, TeleoperatorConfig
    from lr_core.env import EnvConfig
    from lr_core.errors import (
        CalibrationError,
        ConfigError,
        DataError,
        DeviceAlreadyConnectedError,
        DeviceNotConnectedError,
        FeatureError,
        HardwareError,
        LrError,
        MissingDependencyError,
        PluginError,
        WireFormatError,
    )
    from lr_core.features import (
        DEFAULT_FEATURES,
        FeatureSpec,
        FeatureType,
        PolicyFeature,
        dataset_to_policy_features,
        features_from_json,
        features_to_json,
        hw_to_dataset_features,
    )
    from lr_core.messages import ActionChunk, PolicySpec, TimedObservation, TimingStamps
    from lr_core.motors import (
        Motor,
        MotorCalibration,
        MotorNormMode,
        load_calibration,
        save_calibration,
    )
    from lr_core.motors_bus import MotorsBus
    from lr_core.policy import Policy, PolicyConfig, RemotePolicy, connect_remote_policy
    from lr_core.policy_runner import PolicyRunner, load_policy_runner
    from lr_core.robot import Robot
    from lr_core.teleoperator import Teleoperator
    from lr_core.wire import decode, encode
