"""The SO-101 arm's kinematics, from the joint origins of its URDF (``so101_new_calib.urdf``).

Source: TheRobotStudio/SO-ARM100, ``Simulation/SO101/so101_new_calib.urdf`` (generated from the
Onshape CAD by onshape-to-robot), the model LeRobot's ``RobotKinematics`` loads for the SO-101.
In this "new calibration" model every joint's zero is the middle of its range, which is what
LeRobot's follower reports with ``use_degrees=True`` (its default since 0.4): the robot's
``<motor>.pos`` values, in degrees, are this chain's joint angles. The tool frame is the URDF's
``gripperframe`` (between the jaw tips).

Units: joint angles in degrees in the public API (radians inside), positions in metres in the
frame of the URDF's ``base`` link. The gripper joint does not move the tool frame and is not
part of the chain.

:meth:`SO101Kinematics.inverse` moves the tool point to a position while keeping the gripper's
pitch (the angle of its approach axis above the horizontal): 4 equations for the 4 joints that
move the tool point (pan, lift, elbow, wrist flex), so a pure translation has one answer; wrist
roll is left as it is.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from lr_robots.kinematics.chain import Chain, Joint

#: The arm joints, in motor order (ids 1..5).
ARM_JOINTS = ("shoulder_pan", "shoulder_lift", "elbow_flex", "wrist_flex", "wrist_roll")

#: ``<joint>`` elements of so101_new_calib.urdf: origin xyz (m), rpy (rad), limits (rad).
SO101_JOINTS = (
    Joint("shoulder_pan", (0.0207909, -0.0230745, 0.0948817), (-3.14159, 6.03684e-16, 1.5708),
          lower=-1.91986, upper=1.91986),
    Joint("shoulder_lift", (-0.0303992, -0.0182778, -0.0542), (-1.5708, -1.5708, 0.0),
          lower=-1.74533, upper=1.74533),
    Joint("elbow_flex", (-0.11257, -0.028, 2.46331e-16), (-1.22818e-15, 5.75928e-16, 1.5708),
          lower=-1.69, upper=1.69),
    Joint("wrist_flex", (-0.1349, 0.0052, 1.65232e-16), (3.2474e-15, 2.86219e-15, -1.5708),
          lower=-1.65806, upper=1.65806),
    Joint("wrist_roll", (0.0, -0.0611, 0.0181), (1.5708, -9.38083e-08, 3.14159),
          lower=-2.79253, upper=2.79253),
)  # fmt: skip
#: ``gripperframe_frame``: the tool point between the jaw tips, in the gripper link.
TOOL_XYZ = (-0.0079, -0.000218121, -0.0981274)
TOOL_RPY = (1.5708, 1.22465e-16, 1.5708)
#: The approach axis in the gripper link (from the wrist toward the jaw tips).
APPROACH_AXIS = np.array([0.0, 0.0, -1.0])


class SO101Kinematics:
    """Forward and inverse kinematics of the SO-101 (module docstring)."""

    def __init__(self) -> None:
        self.chain = Chain(SO101_JOINTS, TOOL_XYZ, TOOL_RPY)
        self.lower_deg = np.degrees(self.chain.lower)
        self.upper_deg = np.degrees(self.chain.upper)

    def forward(self, q_deg: Sequence[float]) -> np.ndarray:
        """The tool pose ``(4, 4)`` (metres) for the 5 arm joint angles ``q_deg`` (degrees)."""
        return self.chain.forward(np.radians(np.asarray(q_deg, float)[:5]))

    def pitch(self, q_deg: Sequence[float]) -> float:
        """The gripper's approach axis angle above the horizontal (rad; ``-pi/2`` = pointing
        straight down) at ``q_deg``."""
        return float(np.arcsin(self._pitch(np.radians(np.asarray(q_deg, float)[:5]))[0]))

    def _pitch(self, q: np.ndarray) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
        """``(sin pitch, d(sin pitch)/dq (n,), J_pos (3, n), tool pose)`` at ``q`` (rad).

        The sine (the approach axis' vertical component ``a_z``) rather than the angle: its
        derivative stays finite when the gripper points straight up or down."""
        j_pos, axes, frames, tool = self.chain.jacobian(q)
        # the wrist_roll joint frame's z is the approach axis; the roll turns about it
        c, s = np.cos(q[-1]), np.sin(q[-1])
        roll = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
        approach = frames[-1][:3, :3] @ roll @ APPROACH_AXIS
        # d(a_z)/dq_i = (z_i x a)_z: each joint turns the approach axis about its own axis
        d_az = np.cross(axes, approach)[:, 2]
        return float(np.clip(approach[2], -1.0, 1.0)), d_az, j_pos, tool

    def inverse(
        self,
        position: Sequence[float],
        q_init_deg: Sequence[float],
        pitch: float | None = None,
        *,
        iterations: int = 50,
        tolerance_m: float = 1e-4,
        damping: float = 1e-3,
        pitch_weight: float = 0.1,
        max_step_rad: float = 0.2,
    ) -> tuple[np.ndarray, float]:
        """Arm joint angles (degrees, ``(5,)``) putting the tool point at ``position`` (m) with
        the gripper at ``pitch`` (rad; ``None`` keeps the pitch of ``q_init_deg``), starting
        from ``q_init_deg``; also the remaining position error (m).

        Joints stay within the URDF limits; an unreachable target gives the closest pose the
        damped iteration finds (check the returned error). Wrist roll is kept. The pitch is
        held through its sine (the approach axis' vertical component), so with the gripper
        near vertical it is held loosely (a few degrees).
        """
        q = np.radians(np.asarray(q_init_deg, float)[:5]).copy()
        q = np.clip(q, self.chain.lower, self.chain.upper)
        target = np.asarray(position, float)
        want_sin = self._pitch(q)[0] if pitch is None else float(np.sin(pitch))
        moving = slice(0, 4)
        error = np.inf
        for _ in range(iterations):
            current_sin, d_sin, j_pos, tool = self._pitch(q)
            e_pos = target - tool[:3, 3]
            error = float(np.linalg.norm(e_pos))
            e = np.append(e_pos, pitch_weight * (want_sin - current_sin))
            if error < tolerance_m and abs(want_sin - current_sin) < 1e-4:
                break
            jac = np.vstack([j_pos[:, moving], pitch_weight * d_sin[moving]])
            lower, upper = self.chain.lower[moving], self.chain.upper[moving]
            free = np.ones(4, bool)
            for _attempt in range(4):  # joints pushed past a limit leave the step (active set)
                jf = jac * free
                dq = jf.T @ np.linalg.solve(jf @ jf.T + damping * np.eye(4), e)
                step = float(np.linalg.norm(dq))
                if step > max_step_rad:
                    dq *= max_step_rad / step
                blocked = free & (((q[moving] + dq) < lower) | ((q[moving] + dq) > upper))
                if not blocked.any():
                    break
                free &= ~blocked
            q[moving] = np.clip(q[moving] + dq, lower, upper)
        tool = self.chain.forward(q)
        return np.degrees(q), float(np.linalg.norm(target - tool[:3, 3]))
