"""A third-party lr plugin: one robot type and one `lr` subcommand."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from lr_core.cli import Command
from lr_core.devices import RobotConfig
from lr_core.robot import Robot


class ExampleRobotConfig(RobotConfig):
    """Config of a one-joint robot that only exists in memory."""

    type: Literal["example_robot"] = "example_robot"
    implementation: ClassVar[str] = "lr_plugin_example:ExampleRobot"
    joint_limit: float = 90.0


class ExampleRobot(Robot):
    """A one-joint robot whose joint follows commands instantly, clamped to ±joint_limit."""

    config_class = ExampleRobotConfig
    name = "example_robot"

    def __init__(self, config: ExampleRobotConfig) -> None:
        super().__init__(config)
        self.config: ExampleRobotConfig = config
        self._connected = False
        self._position = 0.0

    @property
    def observation_features(self) -> dict[str, Any]:
        return {"joint.pos": float}

    @property
    def action_features(self) -> dict[str, Any]:
        return {"joint.pos": float}

    @property
    def is_connected(self) -> bool:
        return self._connected

    def connect(self, calibrate: bool = True) -> None:
        self._connected = True

    @property
    def is_calibrated(self) -> bool:
        return True

    def calibrate(self) -> None:
        return None

    def configure(self) -> None:
        return None

    def get_observation(self) -> dict[str, Any]:
        return {"joint.pos": self._position}

    def send_action(self, action: dict[str, Any]) -> dict[str, Any]:
        limit = self.config.joint_limit
        self._position = max(-limit, min(limit, float(action["joint.pos"])))
        return {"joint.pos": self._position}

    def disconnect(self) -> None:
        self._connected = False


def _hello(argv: list[str]) -> int:
    print("hello from a plugin", *argv)
    return 0


hello = Command(help="say hello (from lr-plugin-example)", run=_hello)
