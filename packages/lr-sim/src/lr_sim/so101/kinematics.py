"""Inverse kinematics of the simulated arm from MuJoCo's Jacobians (damped least squares).

:class:`ArmIK` solves for the five arm joints that put the grasp point (the ``tcp`` site) at a
position with the gripper pointing straight down and its jaws opening along a given world yaw.
It works on its own ``MjData``, so solving never disturbs the simulation.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from lr_sim._mujoco import import_mujoco
from lr_sim.so101.joints import ARM_JOINTS


def top_down_rotation(yaw: float) -> np.ndarray:
    """The tool frame (columns: approach x, opening y, z) pointing down with the jaws opening
    along world direction ``yaw`` (rad): a ``(3, 3)`` rotation matrix."""
    x = np.array([0.0, 0.0, -1.0])
    y = np.array([math.cos(yaw), math.sin(yaw), 0.0])
    return np.column_stack([x, y, np.cross(x, y)])


def wrap_angle(angle: float) -> float:
    """``angle`` wrapped into ``[-pi, pi)``."""
    return (angle + math.pi) % (2 * math.pi) - math.pi


class ArmIK:
    """Damped-least-squares IK on ``mj_jacSite`` for the ``tcp`` site of an :class:`ArmSim`
    model. Joint angles are radians; positions metres."""

    # model: a mujoco.MjModel; mujoco ships no type information, so it is typed Any
    def __init__(self, model: Any, site: str = "tcp", damping: float = 1e-3) -> None:
        mujoco = import_mujoco()
        self._mujoco = mujoco
        self.model = model
        self.data = mujoco.MjData(model)
        self.site = model.site(site).id
        names = ("shoulder_pan", "shoulder_lift", "elbow_flex", "wrist_flex", "wrist_roll")
        self.qadr = np.array([model.joint(n).qposadr[0] for n in names])
        self.dofs = np.array([model.joint(n).dofadr[0] for n in names])
        self.lower = np.array([model.joint(n).range[0] for n in names])
        self.upper = np.array([model.joint(n).range[1] for n in names])
        self.damping = damping
        self._jacp = np.zeros((3, model.nv))
        self._jacr = np.zeros((3, model.nv))

    def forward(self, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Position ``(3,)`` and rotation ``(3, 3)`` of the site for arm joints ``q`` ``(5,)``."""
        self.data.qpos[self.qadr] = q[:ARM_JOINTS]
        self._mujoco.mj_kinematics(self.model, self.data)
        self._mujoco.mj_comPos(self.model, self.data)
        return self.data.site_xpos[self.site].copy(), self.data.site_xmat[self.site].reshape(3, 3)

    def natural_yaw(self, position: np.ndarray) -> float:
        """The jaw-opening yaw the arm has at ``position`` with the wrist roll at zero."""
        return math.atan2(position[1], position[0]) + math.pi / 2

    def solve(
        self,
        position: np.ndarray,
        rotation: np.ndarray | None,
        q_init: np.ndarray,
        iterations: int = 60,
        rot_weight: float = 0.3,
        tol: float = 1e-4,
    ) -> tuple[np.ndarray, float]:
        """Arm joints ``(5,)`` reaching ``position`` (and ``rotation`` if given), starting
        from ``q_init``; also the remaining position error (m)."""
        mujoco = self._mujoco
        q = np.clip(np.array(q_init[:ARM_JOINTS], dtype=np.float64), self.lower, self.upper)
        err_pos = np.inf
        for _ in range(iterations):
            pos, mat = self.forward(q)
            e_pos = position - pos
            err_pos = float(np.linalg.norm(e_pos))
            if rotation is not None:
                e_rot = 0.5 * sum(np.cross(mat[:, i], rotation[:, i]) for i in range(3))
                err = np.concatenate([e_pos, rot_weight * e_rot])
            else:
                err = e_pos
            if np.linalg.norm(err) < tol:
                break
            mujoco.mj_jacSite(self.model, self.data, self._jacp, self._jacr, self.site)
            jac = self._jacp[:, self.dofs]
            if rotation is not None:
                jac = np.vstack([jac, rot_weight * self._jacr[:, self.dofs]])
            lam = self.damping
            dq = jac.T @ np.linalg.solve(jac @ jac.T + lam * np.eye(jac.shape[0]), err)
            step = np.linalg.norm(dq)
            if step > 0.5:
                dq *= 0.5 / step
            q = np.clip(q + dq, self.lower, self.upper)
        return q, err_pos
