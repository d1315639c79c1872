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
    "NoTerminalError": "lr_core.errors",
    "ask": "lr_core.prompts",
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
    from lr_core.camera import Camera as Camera
    from lr_core.cli import Command as Command
    from lr_core.cli import CommandGroup as CommandGroup
    from lr_core.config import LrConfig as LrConfig
    from lr_core.config import PluginConfig as PluginConfig
    from lr_core.config import parse_cli as parse_cli
    from lr_core.devices import CameraConfig as CameraConfig
    from lr_core.devices import RobotConfig as RobotConfig
    from lr_core.devices import TeleoperatorConfig as TeleoperatorConfig
    from lr_core.env import EnvConfig as EnvConfig
    from lr_core.errors import CalibrationError as CalibrationError
    from lr_core.errors import ConfigError as ConfigError
    from lr_core.errors import DataError as DataError
    from lr_core.errors import DeviceAlreadyConnectedError as DeviceAlreadyConnectedError
    from lr_core.errors import DeviceNotConnectedError as DeviceNotConnectedError
    from lr_core.errors import FeatureError as FeatureError
    from lr_core.errors import HardwareError as HardwareError
    from lr_core.errors import LrError as LrError
    from lr_core.errors import MissingDependencyError as MissingDependencyError
    from lr_core.errors import NoTerminalError as NoTerminalError
    from lr_core.errors import PluginError as PluginError
    from lr_core.errors import WireFormatError as WireFormatError
    from lr_core.features import DEFAULT_FEATURES as DEFAULT_FEATURES
    from lr_core.features import FeatureSpec as FeatureSpec
    from lr_core.features import FeatureType as FeatureType
    from lr_core.features import PolicyFeature as PolicyFeature
    from lr_core.features import dataset_to_policy_features as dataset_to_policy_features
    from lr_core.features import features_from_json as features_from_json
    from lr_core.features import features_to_json as features_to_json
    from lr_core.features import hw_to_dataset_features as hw_to_dataset_features
    from lr_core.messages import ActionChunk as ActionChunk
    from lr_core.messages import PolicySpec as PolicySpec
    from lr_core.messages import TimedObservation as TimedObservation
    from lr_core.messages import TimingStamps as TimingStamps
    from lr_core.motors import Motor as Motor
    from lr_core.motors import MotorCalibration as MotorCalibration
    from lr_core.motors import MotorNormMode as MotorNormMode
    from lr_core.motors import load_calibration as load_calibration
    from lr_core.motors import save_calibration as save_calibration
    from lr_core.motors_bus import MotorsBus as MotorsBus
    from lr_core.policy import Policy as Policy
    from lr_core.policy import PolicyConfig as PolicyConfig
    from lr_core.policy import RemotePolicy as RemotePolicy
    from lr_core.policy import connect_remote_policy as connect_remote_policy
    from lr_core.policy_runner import PolicyRunner as PolicyRunner
    from lr_core.policy_runner import load_policy_runner as load_policy_runner
    from lr_core.prompts import ask as ask
    from lr_core.robot import Robot as Robot
    from lr_core.teleoperator import Teleoperator as Teleoperator
    from lr_core.wire import decode as decode
    from lr_core.wire import encode as encode
