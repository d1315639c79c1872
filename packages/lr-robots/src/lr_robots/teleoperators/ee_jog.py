"""End-effector jogging for an SO-101: velocity commands in, joint targets out.

Shared by the ``keyboard_ee`` and ``gamepad`` teleoperators. The jog keeps a target for the
tool point (the gripper's ``gripperframe``), moves it by ``velocity * speed_m_s * dt`` each
step inside ``bounds``, and solves :class:`~lr_robots.kinematics.so101.SO101Kinematics` for the
joints from the previous solution, holding the gripper's pitch (wrist roll untouched). Safety:

- nothing moves before the robot's positions are known (:meth:`EndEffectorJog.observe`); the
  first observation is the starting target, so the arm does not jump;
- a step whose solution misses the target by more than ``max_ik_error_m`` (out of reach, a
  joint limit) or turns a joint by more than ``max_joint_step_deg`` is refused: the target
  stays where it was, the arm holds;
- the target may lead the measured tool point by ``max_lead_m`` at most (a robot slowed by its
  own clamps, or blocked, is not given an ever-growing goal);
- with no command the targets are held (they do not follow the arm's sag).

Frame: the URDF's ``base`` frame, metres; the arm faces ``-y`` (forward), ``+x`` is its left,
``+z`` up. Joint values are the robot's degrees (``use_degrees=True``, LeRobot's default);
the gripper is ``0..100``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from lr_core.errors import HardwareError
from lr_robots.kinematics.so101 import ARM_JOINTS, SO101Kinematics

#: Reachable box for the SO-101 tool point (m, URDF base frame): in front of the base and
#: above the table plane of the base's bottom.
DEFAULT_BOUNDS = {"min": (-0.30, -0.42, 0.0), "max": (0.30, -0.08, 0.40)}

NOT_OBSERVED = (
    "{name} moves the arm relative to where it is, but has not been given the robot's "
    "positions: the control loop must call teleop.observe(observation) before get_action "
    "(lr teleoperate and lr record do)"
)


class EndEffectorJog:
    """See the module docstring. ``gripper`` is the gripper motor's name, or ``None``."""

    def __init__(
        self,
        *,
        speed_m_s: float,
        gripper_speed: float,
        bounds: Mapping[str, Sequence[float]] = DEFAULT_BOUNDS,
        gripper: str | None = "gripper",
        max_ik_error_m: float = 0.005,
        max_joint_step_deg: float = 10.0,
        max_lead_m: float = 0.05,
        name: str = "keyboard_ee",
    ) -> None:
        self.kinematics = SO101Kinematics()
        self.speed_m_s = speed_m_s
        self.gripper_speed = gripper_speed
        self.low = np.asarray(bounds["min"], float)
        self.high = np.asarray(bounds["max"], float)
        self.gripper = gripper
        self.max_ik_error_m = max_ik_error_m
        self.max_joint_step_deg = max_joint_step_deg
        self.max_lead_m = max_lead_m
        self.name = name
        self.q_target: np.ndarray | None = None
        self.ee_target: np.ndarray | None = None
        self.gripper_target: float | None = None
        self.measured_ee: np.ndarray | None = None
        self._sin_pitch: float | None = None
        #: Steps refused (unreachable, too large a joint move): for tests and logs.
        self.refused = 0

    @property
    def motors(self) -> list[str]:
        """The motors of the actions, in order."""
        return [*ARM_JOINTS, *([self.gripper] if self.gripper else [])]

    def observe(self, observation: Mapping[str, Any]) -> None:
        """Take the robot's ``<motor>.pos`` values (degrees); the first call sets the targets.

        Raises:
            HardwareError: a motor's position is missing from the observation.
        """
        try:
            q = np.array([float(observation[f"{m}.pos"]) for m in ARM_JOINTS])
            grip = float(observation[f"{self.gripper}.pos"]) if self.gripper else None
        except KeyError as exc:
            raise HardwareError(
                f"{self.name}: the observation has no {exc.args[0]!r}; it needs the SO-101's "
                f"{', '.join(m + '.pos' for m in self.motors)}"
            ) from None
        self.measured_ee = self.kinematics.forward(q)[:3, 3]
        if self.q_target is None:
            self.q_target = q
            self.ee_target = np.clip(self.measured_ee, self.low, self.high)
            self._sin_pitch = float(np.sin(self.kinematics.pitch(q)))
            self.gripper_target = grip

    def step(self, velocity: Sequence[float], gripper: float, dt: float) -> dict[str, float]:
        """Move the target by ``velocity`` (each axis in -1..1 of ``speed_m_s``) and the
        gripper by ``gripper`` (-1..1 of ``gripper_speed``, + opens) for ``dt`` s; return the
        action ``{"<motor>.pos": value}``.

        Raises:
            HardwareError: no observation yet (:data:`NOT_OBSERVED`).
        """
        if self.q_target is None or self.ee_target is None or self.measured_ee is None:
            raise HardwareError(NOT_OBSERVED.format(name=self.name))
        v = np.clip(np.asarray(velocity, float), -1.0, 1.0)
        if np.any(v):
            self._move(v * self.speed_m_s * dt)
        if self.gripper and self.gripper_target is not None and gripper:
            g = self.gripper_target + float(np.clip(gripper, -1, 1)) * self.gripper_speed * dt
            self.gripper_target = float(np.clip(g, 0.0, 100.0))
        return self.action()

    def _move(self, delta: np.ndarray) -> None:
        assert self.q_target is not None and self.ee_target is not None
        assert self.measured_ee is not None
        target = np.clip(self.ee_target + delta, self.low, self.high)
        lead = np.linalg.norm(target - self.measured_ee)
        if lead > self.max_lead_m and lead >= np.linalg.norm(self.ee_target - self.measured_ee):
            self.refused += 1
            return
        pitch = float(np.arcsin(self._sin_pitch)) if self._sin_pitch is not None else None
        q, error = self.kinematics.inverse(target, self.q_target, pitch=pitch)
        if (
            error > self.max_ik_error_m
            or np.max(np.abs(q - self.q_target)) > self.max_joint_step_deg
        ):
            self.refused += 1
            return
        self.q_target, self.ee_target = q, target

    def action(self) -> dict[str, float]:
        """The current targets as an action."""
        if self.q_target is None:
            raise HardwareError(NOT_OBSERVED.format(name=self.name))
        out = {f"{m}.pos": float(v) for m, v in zip(ARM_JOINTS, self.q_target, strict=True)}
        if self.gripper and self.gripper_target is not None:
            out[f"{self.gripper}.pos"] = self.gripper_target
        return out
