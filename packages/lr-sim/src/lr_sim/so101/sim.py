"""The physics of the simulated SO-101: one MuJoCo model and state, stepped at a control rate.

:class:`ArmSim` is shared by the gymnasium environment (:mod:`lr_sim.so101.env`) and the
simulated robot (:mod:`lr_sim.robot`). It converts between the servos' normalised units and
joint angles, advances the physics by whole control periods, and reads the cube and tool poses.
"""

from __future__ import annotations

import math

import numpy as np

from lr_sim._mujoco import import_mujoco
from lr_sim.so101.joints import JOINTS, MOTOR_NAMES, normalized_to_radians, radians_to_normalized
from lr_sim.so101.scene import CUBE_SIZE, build_mjcf

#: Home pose (radians): arm raised above the table, gripper pointing down, half open.
HOME_QPOS = np.array([0.0, -0.35, 0.75, 1.15, 0.0, math.radians(30.0)])


class ArmSim:
    """A MuJoCo model of the arm, table and cube, advanced ``1 / fps`` seconds per :meth:`step`.

    ``physics_dt`` (s) is the largest physics time step; the step actually used divides the
    control period exactly (``n_substeps`` of them per control step).
    """

    def __init__(
        self,
        fps: int = 30,
        physics_dt: float = 0.002,
        offscreen_size: tuple[int, int] = (640, 480),
        use_degrees: bool = False,
    ) -> None:
        mujoco = import_mujoco()
        self._mujoco = mujoco
        self.fps = int(fps)
        self.use_degrees = use_degrees
        width, height = offscreen_size
        self.model = mujoco.MjModel.from_xml_string(build_mjcf(width, height))
        self.n_substeps = max(1, math.ceil(1.0 / (self.fps * physics_dt)))
        self.model.opt.timestep = 1.0 / (self.fps * self.n_substeps)
        self.data = mujoco.MjData(self.model)
        self.joint_qpos = np.array([self.model.joint(n).qposadr[0] for n in MOTOR_NAMES])
        self.joint_dof = np.array([self.model.joint(n).dofadr[0] for n in MOTOR_NAMES])
        self.actuator_ids = np.array([self.model.actuator(n).id for n in MOTOR_NAMES])
        cube = self.model.joint("cube")
        self.cube_qpos = int(cube.qposadr[0])
        self.cube_dof = int(cube.dofadr[0])
        self.tcp_site = self.model.site("tcp").id
        self.goal_mocap = int(self.model.body("goal").mocapid[0])
        self.target_mocap = int(self.model.body("target").mocapid[0])
        self.cube_body = self.model.body("cube").id

    # ------------------------------------------------------------------ state
    def reset(
        self,
        qpos: np.ndarray | None = None,
        cube_pos: np.ndarray | None = None,
        cube_yaw: float = 0.0,
        goal_pos: np.ndarray | None = None,
        target_pos: np.ndarray | None = None,
    ) -> None:
        """Put the arm at ``qpos`` (radians, default :data:`HOME_QPOS`), the cube at
        ``cube_pos`` (xy, or xyz) with yaw ``cube_yaw``, and the markers at their positions."""
        mujoco = self._mujoco
        mujoco.mj_resetData(self.model, self.data)
        q = HOME_QPOS if qpos is None else np.asarray(qpos, dtype=np.float64)
        self.data.qpos[self.joint_qpos] = q
        self.data.ctrl[self.actuator_ids] = q
        if cube_pos is not None:
            pos = np.asarray(cube_pos, dtype=np.float64)
            if pos.shape == (2,):
                pos = np.array([pos[0], pos[1], CUBE_SIZE / 2])
            self.data.qpos[self.cube_qpos : self.cube_qpos + 3] = pos
            self.data.qpos[self.cube_qpos + 3 : self.cube_qpos + 7] = [
                math.cos(cube_yaw / 2),
                0.0,
                0.0,
                math.sin(cube_yaw / 2),
            ]
        if goal_pos is not None:
            self.data.mocap_pos[self.goal_mocap, :2] = np.asarray(goal_pos)[:2]
        if target_pos is not None:
            self.data.mocap_pos[self.target_mocap] = target_pos
        mujoco.mj_forward(self.model, self.data)

    def set_target_radians(self, q: np.ndarray) -> None:
        """Command the six servos to joint angles ``q`` (radians, clipped to their travel)."""
        lo = self.model.actuator_ctrlrange[self.actuator_ids, 0]
        hi = self.model.actuator_ctrlrange[self.actuator_ids, 1]
        self.data.ctrl[self.actuator_ids] = np.clip(q, lo, hi)

    def set_target(self, action: np.ndarray) -> np.ndarray:
        """Command the servos in normalised units ``(6,)``; return the command actually applied
        (normalised, after clipping to the joints' travel)."""
        action = np.asarray(action, dtype=np.float64)
        if action.shape != (len(JOINTS),) or not np.all(np.isfinite(action)):
            from lr_core.errors import FeatureError

            raise FeatureError(
                f"action must be {len(JOINTS)} finite values ({', '.join(MOTOR_NAMES)}), "
                f"got shape {action.shape}"
            )
        q = normalized_to_radians(action, self.use_degrees)
        self.set_target_radians(q)
        return radians_to_normalized(q, self.use_degrees)

    def step(self, n: int = 1) -> None:
        """Advance ``n`` control periods (``n * n_substeps`` physics steps)."""
        self._mujoco.mj_step(self.model, self.data, nstep=self.n_substeps * n)

    def step_physics(self, nstep: int) -> None:
        """Advance ``nstep`` physics steps (used by the real-time robot)."""
        if nstep > 0:
            self._mujoco.mj_step(self.model, self.data, nstep=nstep)

    # ------------------------------------------------------------------ readings
    @property
    def qpos(self) -> np.ndarray:
        """Joint angles of the six motors (radians), a copy."""
        return self.data.qpos[self.joint_qpos].copy()

    @property
    def state(self) -> np.ndarray:
        """Motor positions in normalised units ``(6,)`` float32, as the real bus reports them."""
        return radians_to_normalized(self.qpos, self.use_degrees)

    @property
    def cube_pose(self) -> np.ndarray:
        """Cube position (m) and orientation quaternion (w, x, y, z): ``(7,)``."""
        return self.data.qpos[self.cube_qpos : self.cube_qpos + 7].copy()

    @property
    def tcp_pos(self) -> np.ndarray:
        """World position of the grasp point between the jaws (m)."""
        return self.data.site_xpos[self.tcp_site].copy()

    @property
    def goal_pos(self) -> np.ndarray:
        """The place/push goal marker (m)."""
        return self.data.mocap_pos[self.goal_mocap].copy()

    @property
    def target_pos(self) -> np.ndarray:
        """The reach target marker (m)."""
        return self.data.mocap_pos[self.target_mocap].copy()

    def cube_touches_table(self) -> bool:
        """Whether the cube rests on the table (its centre within 5 mm of resting height)."""
        return bool(self.data.qpos[self.cube_qpos + 2] < CUBE_SIZE / 2 + 0.005)

    def gripper_holds_cube(self) -> bool:
        """Whether both pads touch the cube."""
        model, data = self.model, self.data
        pads = {model.geom("fixed_pad").id, model.geom("moving_pad").id}
        cube = model.geom("cube").id
        touching = set()
        for i in range(data.ncon):
            con = data.contact[i]
            pair = {int(con.geom1), int(con.geom2)}
            if cube in pair:
                touching |= pair & pads
        return touching == pads
