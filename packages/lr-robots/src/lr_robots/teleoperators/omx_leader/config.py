"""Config of the OMX leader: LeRobot 0.6.1's fields and defaults."""

from __future__ import annotations

from typing import ClassVar, Literal

from lr_core.devices import TeleoperatorConfig


class OmxLeaderConfig(TeleoperatorConfig):
    """``--teleop.type=omx_leader``; ``gripper_open_pos`` (0..100) is the trigger's rest."""

    type: Literal["omx_leader"] = "omx_leader"
    implementation: ClassVar[str] = "lr_robots.teleoperators.omx_leader.teleoperator:OmxLeader"

    port: str
    """Serial port of the arm's motor bus (e.g. /dev/ttyACM0; lr find-port finds it)."""
    gripper_open_pos: float = 60.0
    """Gripper position (0..100) held with torque on, so the squeezed trigger springs back
    open."""
