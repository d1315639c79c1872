"""The scripted expert of the SO-101 scene: inverse kinematics plus a small state machine.

Each step the expert moves a commanded grasp-point position towards the current phase's
waypoint at a bounded speed, solves the arm joints for it with :class:`ArmIK` (gripper pointing
down, jaws aligned with the cube), and outputs those joints plus a gripper command as an action
in the servos' normalised units, exactly what a policy outputs. It reads the true cube pose from
the simulation and closes the loop on it: a missed grasp is retried, a push that drifts off line
is re-approached.
"""

from __future__ import annotations

import math

import numpy as np

from lr_sim.so101.env import SO101Env
from lr_sim.so101.joints import radians_to_normalized
from lr_sim.so101.kinematics import ArmIK, top_down_rotation, wrap_angle
from lr_sim.so101.scene import CUBE_SIZE, FIXED_PAD_Y, PAD_THICKNESS, TCP_LOCAL

HOVER_Z = 0.07
GRIPPER_OPEN = math.radians(50.0)
GRIPPER_WIDE = math.radians(100.0)
GRIPPER_CLOSED = math.radians(-10.0)
ROLL_LIMITS = (-2.70, 2.80)
#: Where the grasp point is aimed, along the jaws' opening axis, relative to the cube's centre
#: (m; negative: towards the moving jaw). The fixed jaw must clear the cube: aimed at the
#: centre, a grasp fails when the point lands 2 mm or more towards the fixed jaw, while it
#: succeeds with the cube up to 18 mm towards the moving jaw (which sweeps it against the fixed
#: pad). Aiming 8 mm off centre leaves about 8 mm of error either way.
GRASP_OFFSET = -0.008


class SO101Expert:
    """Scripted expert for an :class:`SO101Env` (any of its tasks).

    ``speed`` is the grasp point's top speed (m/s). Call :meth:`reset` after each
    ``env.reset()``, then :meth:`act` once per step.
    """

    def __init__(self, env: SO101Env, speed: float = 0.15) -> None:
        self.env = env
        self.sim = env.sim
        self.ik = ArmIK(self.sim.model)
        self.max_step = speed / env.config.fps
        self.reset()

    # ------------------------------------------------------------------ helpers
    def reset(self) -> None:
        """Forget the previous episode."""
        self.phase = "approach"
        self.wait = 0
        self.q = None
        self.p_cmd: np.ndarray | None = None
        self.yaw: float | None = None
        self.gripper = GRIPPER_OPEN
        self.push_mode: tuple[float, float] | None = None  # (offset along d, gripper angle)
        self.push_dir: np.ndarray | None = None

    def _cube(self) -> tuple[np.ndarray, float]:
        pose = self.sim.cube_pose
        w, x, y, z = pose[3:]
        yaw = math.atan2(2 * (w * z + x * y), 1 - 2 * (y * y + z * z))
        return pose[:3], yaw

    def _grasp_yaw(self, position: np.ndarray, cube_yaw: float) -> float:
        natural = self.ik.natural_yaw(position)
        options = [cube_yaw + k * math.pi / 2 for k in range(4)]
        return min(options, key=lambda a: abs(wrap_angle(a - natural)))

    def _roll_ok(self, position: np.ndarray, yaw: float) -> bool:
        roll = wrap_angle(yaw - self.ik.natural_yaw(position))
        return ROLL_LIMITS[0] < roll < ROLL_LIMITS[1]

    def _move(self, waypoint: np.ndarray, speed_scale: float = 1.0) -> bool:
        """Advance the commanded point towards ``waypoint``; True once it is there."""
        assert self.p_cmd is not None
        delta = waypoint - self.p_cmd
        dist = float(np.linalg.norm(delta))
        step = self.max_step * speed_scale
        self.p_cmd = waypoint.copy() if dist <= step else self.p_cmd + delta * (step / dist)
        return dist <= step

    def _near(self, waypoint: np.ndarray, tol: float = 0.01) -> bool:
        return bool(np.linalg.norm(self.sim.tcp_pos - waypoint) < tol)

    # ------------------------------------------------------------------ policy
    def act(self) -> np.ndarray:
        """The next action ``(6,)`` float32 in normalised units."""
        if self.p_cmd is None:
            self.p_cmd = self.sim.tcp_pos
            self.q = self.sim.qpos
        task = self.env.task.name
        if task == "reach":
            self._reach()
        elif task == "pick-and-place":
            self._pick_and_place()
        else:
            self._push()
        return self._action()

    def _action(self) -> np.ndarray:
        assert self.p_cmd is not None and self.q is not None
        position = self.p_cmd
        yaw = self.yaw if self.yaw is not None else self.ik.natural_yaw(position)
        arm, _ = self.ik.solve(position, top_down_rotation(yaw), self.q)
        self.q = np.concatenate([arm, [self.gripper]])
        return radians_to_normalized(self.q, self.env.config.use_degrees)

    def _hover_point(self) -> np.ndarray:
        """The commanded point raised to ``HOVER_Z`` (the command is set on the first step)."""
        assert self.p_cmd is not None
        return np.array([self.p_cmd[0], self.p_cmd[1], HOVER_Z])

    def _reach(self) -> None:
        target = self.sim.target_pos
        self.gripper = GRIPPER_OPEN
        self._move(target)

    def _pick_and_place(self) -> None:
        cube, cube_yaw = self._cube()
        goal = self.sim.goal_pos
        hold_z = CUBE_SIZE / 2 + 0.003
        if self.phase in ("approach", "descend"):
            self.yaw = self._grasp_yaw(cube, cube_yaw)
            opening = np.array([math.cos(self.yaw), math.sin(self.yaw)])
            grasp_xy = cube[:2] + GRASP_OFFSET * opening
            if self.phase == "approach":
                self.gripper = GRIPPER_OPEN
                above = np.array([*grasp_xy, HOVER_Z])
                if self._move(above) and self._near(above):
                    self.phase = "descend"
            else:
                target = np.array([*grasp_xy, hold_z])
                if self._move(target, 0.7) and self._near(target, 0.006):
                    self.phase, self.wait = "close", 10
        elif self.phase == "close":
            self.gripper = GRIPPER_CLOSED
            self.wait -= 1
            if self.wait <= 0:
                self.phase = "lift"
        elif self.phase == "lift":
            above = self._hover_point()
            if self._move(above, 0.7) and self._near(above, 0.015):
                held = cube[2] > CUBE_SIZE / 2 + 0.02
                self.phase = "transfer" if held else "approach"
        elif self.phase == "transfer":
            if cube[2] < CUBE_SIZE / 2 + 0.01:  # dropped on the way
                self.phase = "approach"
                return
            above = np.array([goal[0], goal[1], HOVER_Z])
            if self._move(above) and self._near(above, 0.012):
                self.phase = "lower"
        elif self.phase == "lower":
            target = np.array([goal[0], goal[1], hold_z + 0.004])
            if self._move(target, 0.6) and self._near(target, 0.008):
                self.phase, self.wait = "release", 8
        elif self.phase == "release":
            self.gripper = GRIPPER_OPEN
            self.wait -= 1
            if self.wait <= 0:
                self.phase = "retreat"
        elif self.phase == "retreat":
            self._move(self._hover_point())
            if not self.env.task.is_success(self.sim) and self.wait < -30:
                self.phase = "approach"
            self.wait -= 1

    # push: the pushing face is either the fixed pad's outer face (gripper closed) or its inner
    # face (gripper wide open); offsets are along the push direction from the grasp point.
    _OUTER = (-(FIXED_PAD_Y - PAD_THICKNESS - TCP_LOCAL[1]), GRIPPER_CLOSED)
    _INNER = (FIXED_PAD_Y - TCP_LOCAL[1], GRIPPER_WIDE)

    def _push(self) -> None:
        cube, _ = self._cube()
        goal = self.sim.goal_pos
        to_goal = goal[:2] - cube[:2]
        dist = float(np.linalg.norm(to_goal))
        push_z = 0.016
        if self.phase == "done" or dist < 0.012:
            self.phase = "done"
            self._move(self._hover_point())
            return
        d = to_goal / dist
        if self.phase == "approach":
            self.push_dir = d
            yaw_outer = math.atan2(-d[1], -d[0])
            yaw_inner = math.atan2(d[1], d[0])
            if self._roll_ok(cube, yaw_outer):
                self.yaw, self.push_mode = yaw_outer, self._OUTER
            else:
                self.yaw, self.push_mode = yaw_inner, self._INNER
            self.phase = "hover"
        assert self.push_mode is not None and self.push_dir is not None
        offset, grip = self.push_mode
        behind = cube[:2] - self.push_dir * (CUBE_SIZE / 2 + offset + 0.02)
        if self.phase == "hover":
            self.gripper = grip
            above = np.array([behind[0], behind[1], HOVER_Z])
            if self._move(above) and self._near(above, 0.01):
                self.phase = "lower"
        elif self.phase == "lower":
            target = np.array([behind[0], behind[1], push_z])
            if self._move(target, 0.8) and self._near(target, 0.006):
                self.phase = "push"
        elif self.phase == "push":
            contact = cube[:2] - d * (CUBE_SIZE / 2 + offset)
            tcp = self.sim.tcp_pos[:2]
            rel = cube[:2] - (tcp + d * offset)
            lateral = abs(rel[0] * d[1] - rel[1] * d[0])
            angle = math.acos(float(np.clip(np.dot(d, self.push_dir), -1, 1)))
            if lateral > 0.012 or angle > math.radians(35):
                self.phase = "retreat"
                return
            target = np.array([*(contact + d * min(dist, 0.01)), push_z])
            self._move(target, 0.5)
        elif self.phase == "retreat":
            above = self._hover_point()
            if self._move(above):
                self.phase = "approach"


def rollout(env: SO101Env, seed: int, max_steps: int | None = None) -> tuple[bool, int]:
    """Run the expert for one episode; ``(success, steps)``."""
    expert = SO101Expert(env)
    env.reset(seed=seed)
    limit = max_steps or env.config.episode_length
    for step in range(1, limit + 1):
        _, _, terminated, truncated, info = env.step(expert.act())
        if info["is_success"]:
            return True, step
        if terminated or truncated:
            break
    return False, limit


__all__ = ["SO101Expert", "rollout"]
