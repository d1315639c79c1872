"""The serial-chain maths: URDF rpy, rotations, and the Jacobian against finite differences."""

from __future__ import annotations

import numpy as np

from lr_robots.kinematics.chain import Chain, Joint, axis_angle_matrix, rpy_matrix


def _rx(a: float) -> np.ndarray:
    return np.array([[1, 0, 0], [0, np.cos(a), -np.sin(a)], [0, np.sin(a), np.cos(a)]])


def _ry(a: float) -> np.ndarray:
    return np.array([[np.cos(a), 0, np.sin(a)], [0, 1, 0], [-np.sin(a), 0, np.cos(a)]])


def _rz(a: float) -> np.ndarray:
    return np.array([[np.cos(a), -np.sin(a), 0], [np.sin(a), np.cos(a), 0], [0, 0, 1]])


def test_rpy_is_urdf_fixed_axis_order():
    r, p, y = 0.3, -0.7, 1.9
    np.testing.assert_allclose(rpy_matrix(r, p, y), _rz(y) @ _ry(p) @ _rx(r), atol=1e-12)


def test_axis_angle_is_a_rotation_about_the_axis():
    axis = np.array([1.0, 2.0, -0.5]) / np.linalg.norm([1.0, 2.0, -0.5])
    rot = axis_angle_matrix(axis, 0.8)
    np.testing.assert_allclose(rot @ rot.T, np.eye(3), atol=1e-12)
    np.testing.assert_allclose(rot @ axis, axis, atol=1e-12)
    np.testing.assert_allclose(axis_angle_matrix(np.array([0, 0, 1.0]), 0.8), _rz(0.8), atol=1e-12)


def test_jacobian_matches_finite_differences():
    chain = Chain(
        [
            Joint("a", (0, 0, 0.1), (0, 0, 0)),
            Joint("b", (0.05, 0, 0.02), (1.5708, 0, 0.3)),
            Joint("c", (0.2, 0.01, 0), (0, 0.4, 0), axis=(0, 1, 1)),
        ],
        tool_xyz=(0.1, 0, 0.02),
    )
    q = np.array([0.3, -0.6, 1.1])
    j_pos, _axes, _frames, tool = chain.jacobian(q)
    eps = 1e-7
    for i in range(3):
        dq = np.zeros(3)
        dq[i] = eps
        moved = chain.forward(q + dq)[:3, 3]
        np.testing.assert_allclose((moved - tool[:3, 3]) / eps, j_pos[:, i], atol=1e-5)
