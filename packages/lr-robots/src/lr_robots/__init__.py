"""lr-robots: robots, teleoperators and the calibrate / teleoperate / replay loops.

Names resolve lazily: ``import lr_robots`` loads no bus or camera code.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lr_core.lazy import lazy_exports

_EXPORTS: dict[str, str] = {
    "LoopStats": "lr_robots.control.timing",
    "MotorArm": "lr_robots.robots.arm",
    "LeaderArm": "lr_robots.teleoperators.leader",
    "ensure_safe_goal_position": "lr_robots.control.safety",
    "make_cameras_from_configs": "lr_robots.cameras.factory",
    "make_robot_from_config": "lr_robots.devices",
    "make_teleoperator_from_config": "lr_robots.devices",
    "precise_sleep": "lr_robots.control.timing",
    "replay_loop": "lr_robots.control.loops",
    "run_safely": "lr_robots.control.session",
    "teleop_loop": "lr_robots.control.loops",
}

__all__, __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, distribution="lr-robots")

if TYPE_CHECKING:
    from lr_robots.cameras.factory import make_cameras_from_configs
    from lr_robots.control.loops import replay_loop, teleop_loop
    from lr_robots.control.safety import ensure_safe_goal_position
    from lr_robots.control.session import run_safely
    from lr_robots.control.timing import LoopStats, precise_sleep
    from lr_robots.devices import make_robot_from_config, make_teleoperator_from_config
    from lr_robots.robots.arm import MotorArm
    from lr_robots.teleoperators.leader import LeaderArm
