"""Configs of the homunculus arm and glove: LeRobot 0.6.1's fields and defaults."""

from __future__ import annotations

from typing import ClassVar, Literal

from lr_core.devices import TeleoperatorConfig


class HomunculusGloveConfig(TeleoperatorConfig):
    """``--teleop.type=homunculus_glove --teleop.side=right --teleop.port=...``."""

    type: Literal["homunculus_glove"] = "homunculus_glove"
    implementation: ClassVar[str] = (
        "lr_robots.teleoperators.homunculus.teleoperator:HomunculusGlove"
    )

    port: str
    """USB serial port of the glove's ESP32, which streams its sensor readings."""
    side: Literal["left", "right"]
    """Which hand the glove is worn on."""
    baud_rate: int = 115_200
    """Baud rate of the serial link, in bit/s."""


class HomunculusArmConfig(TeleoperatorConfig):
    """``--teleop.type=homunculus_arm --teleop.port=...``."""

    type: Literal["homunculus_arm"] = "homunculus_arm"
    implementation: ClassVar[str] = "lr_robots.teleoperators.homunculus.teleoperator:HomunculusArm"

    port: str
    """USB serial port of the exoskeleton's ESP32, which streams its sensor readings."""
    baud_rate: int = 115_200
    """Baud rate of the serial link, in bit/s."""
