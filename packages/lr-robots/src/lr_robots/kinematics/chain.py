"""Forward and inverse kinematics of a serial chain of revolute joints described as in URDF.

Each joint has an ``origin`` (``xyz`` in metres and ``rpy`` in radians, the fixed transform
from the parent link to the joint frame) and an ``axis`` in the joint frame. With joint angle
``q``, the child link's frame is ``parent @ T(xyz, rpy) @ Rot(axis, q)``; URDF's ``rpy`` is
``Rz(yaw) @ Ry(pitch) @ Rx(roll)`` (ROS REP 103). A fixed ``tool`` transform ends the chain.

Jacobians are geometric: for revolute joint ``i`` with world axis ``z_i`` through point
``p_i``, the tool point moves at ``z_i x (p - p_i)`` and a tool-fixed direction ``a`` turns at
``z_i x a`` per radian (Siciliano et al., *Robotics: Modelling, Planning and Control*, §3.1).

Inverse kinematics is damped least squares (Wampler 1986; Buss 2004, "Introduction to inverse
kinematics with Jacobian transpose, pseudoinverse and damped least squares methods"):
``dq = J^T (J J^T + λ² I)^-1 e``, with joint limits enforced by clamping each step.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


def rpy_matrix(roll: float, pitch: float, yaw: float) -> np.ndarray:
    """URDF's fixed-axis roll-pitch-yaw: ``Rz(yaw) @ Ry(pitch) @ Rx(roll)``, ``(3, 3)``."""
    cr, sr = np.cos(roll), np.sin(roll)
    cp, sp = np.cos(pitch), np.sin(pitch)
    cy, sy = np.cos(yaw), np.sin(yaw)
    return np.array(
        [
            [cy * cp, cy * sp * sr - sy * cr, cy * sp * cr + sy * sr],
            [sy * cp, sy * sp * sr + cy * cr, sy * sp * cr - cy * sr],
            [-sp, cp * sr, cp * cr],
        ]
    )


def axis_angle_matrix(axis: np.ndarray, angle: float) -> np.ndarray:
    """Rotation by ``angle`` (rad) about the unit ``axis`` (Rodrigues), ``(3, 3)``."""
    x, y, z = axis
    c, s = np.cos(angle), np.sin(angle)
    k = np.array([[0, -z, y], [z, 0, -x], [-y, x, 0]])
    return np.eye(3) + s * k + (1 - c) * (k @ k)


def transform(xyz: Sequence[float], rpy: Sequence[float]) -> np.ndarray:
    """The ``(4, 4)`` homogeneous transform of a URDF ``<origin xyz rpy>``."""
    out = np.eye(4)
    out[:3, :3] = rpy_matrix(*rpy)
    out[:3, 3] = xyz
    return out


@dataclass(frozen=True)
class Joint:
    """A revolute joint: name, URDF origin (m, rad), unit axis in its frame, limits (rad)."""

    name: str
    xyz: tuple[float, float, float]
    rpy: tuple[float, float, float]
    axis: tuple[float, float, float] = (0.0, 0.0, 1.0)
    lower: float = -np.pi
    upper: float = np.pi


class Chain:
    """A serial chain of :class:`Joint` s followed by a fixed ``tool`` origin."""

    def __init__(
        self,
        joints: Sequence[Joint],
        tool_xyz: Sequence[float] = (0, 0, 0),
        tool_rpy: Sequence[float] = (0, 0, 0),
    ) -> None:
        self.joints = tuple(joints)
        self.names = [j.name for j in self.joints]
        self._origins = [transform(j.xyz, j.rpy) for j in self.joints]
        self._axes = [np.asarray(j.axis, float) / np.linalg.norm(j.axis) for j in self.joints]
        self._is_z = [bool(np.allclose(a, (0, 0, 1))) for a in self._axes]
        self.tool = transform(tool_xyz, tool_rpy)
        self.lower = np.array([j.lower for j in self.joints])
        self.upper = np.array([j.upper for j in self.joints])

    def frames(self, q: Sequence[float]) -> tuple[list[np.ndarray], np.ndarray]:
        """The world frame of each joint (after its origin, before its rotation) and of the
        tool, for joint angles ``q`` (rad, ``(n,)``)."""
        if len(q) != len(self.joints):
            raise ValueError(f"expected {len(self.joints)} joint angles, got {len(q)}")
        t = np.eye(4)
        joint_frames = []
        rot = np.eye(4)
        for origin, axis, is_z, angle in zip(self._origins, self._axes, self._is_z, q, strict=True):
            t = t @ origin
            joint_frames.append(t)
            if is_z:  # the common case (every SO-101 joint): a plain rotation about z
                c, s = np.cos(angle), np.sin(angle)
                rot[:2, :2] = ((c, -s), (s, c))
            else:
                rot[:3, :3] = axis_angle_matrix(axis, float(angle))
            t = t @ rot
        return joint_frames, t @ self.tool

    def forward(self, q: Sequence[float]) -> np.ndarray:
        """The tool's ``(4, 4)`` pose in the base frame for joint angles ``q`` (rad)."""
        return self.frames(q)[1]

    def jacobian(
        self, q: Sequence[float]
    ) -> tuple[np.ndarray, np.ndarray, list[np.ndarray], np.ndarray]:
        """``(J_pos (3, n), world axes (n, 3), joint frames, tool pose (4, 4))`` at ``q``: the
        tool point's velocity per joint velocity (m/rad), each joint's axis in the base frame,
        and the frames of :meth:`frames`."""
        joint_frames, tool = self.frames(q)
        p = tool[:3, 3]
        axes = np.array([f[:3, :3] @ a for f, a in zip(joint_frames, self._axes, strict=True)])
        points = np.array([f[:3, 3] for f in joint_frames])
        return np.cross(axes, p - points).T, axes, joint_frames, tool
