"""Config of the Koch leader: LeRobot 0.6.1's fields and defaults."""

from __future__ import annotations

from typing import ClassVar, Literal

from lr_core.devices import TeleoperatorConfig


class KochLeaderConfig(TeleoperatorConfig):
    """``--teleop.type=koch_leader``. ``gripper_open_pos`` (0..100) is where the trigger
    gripper springs back to when released."""

    type: Literal["koch_leader"] = "koch_leader"
    implementation: ClassVar[str] = "lr_robots.teleoperators.koch_leader.teleoperator:KochLeader"

    port: str
    """Serial port of the arm's motor bus (e.g. /dev/ttyACM0; lr find-port finds it)."""
    gripper_open_pos: float = 50.0
    """Gripper position (0..100) held with torque on, so the squeezed trigger springs back
    open."""
