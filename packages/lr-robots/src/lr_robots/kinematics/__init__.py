"""Kinematics of the arms lr drives (SO-101), written from their URDF joint origins."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lr_core.lazy import lazy_exports

_EXPORTS: dict[str, str] = {
    "Chain": "lr_robots.kinematics.chain",
    "Joint": "lr_robots.kinematics.chain",
    "SO101Kinematics": "lr_robots.kinematics.so101",
}

__all__, __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

if TYPE_CHECKING:
    from lr_robots.kinematics.chain import Chain, Joint
    from lr_robots.kinematics.so101 import SO101Kinematics
