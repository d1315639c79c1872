"""The three tasks of the SO-101 table scene: what a reset randomises and what success means.

- ``reach``: bring the grasp point (between the jaws) within 2 cm of a blue target floating
  above the table.
- ``pick-and-place``: pick up the red cube and put it down with its centre within 2.5 cm of the
  green goal marker, resting on the table.
- ``push``: push the red cube, without lifting it, until its centre is within 3 cm of the green
  goal marker.

Cube and goal positions are drawn from the reachable part of the table (a top-down grasp reaches
about 22 cm from the base) with a seeded ``numpy.random.Generator``; the cube's yaw is uniform.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from lr_sim.so101.sim import ArmSim

#: Where cubes and goals may be (m): x range, |y| bound, and the largest distance from the base.
X_RANGE = (0.12, 0.21)
Y_MAX = 0.09
MAX_RADIUS = 0.215


def _sample_table_point(rng: np.random.Generator) -> np.ndarray:
    while True:
        point = np.array([rng.uniform(*X_RANGE), rng.uniform(-Y_MAX, Y_MAX)])
        if np.hypot(*point) <= MAX_RADIUS:
            return point


@dataclass(frozen=True)
class Layout:
    """One episode's initial layout (metres, radians)."""

    cube_xy: np.ndarray
    cube_yaw: float
    goal_xy: np.ndarray
    target: np.ndarray = field(default_factory=lambda: np.array([0.16, 0.0, 0.08]))


@dataclass(frozen=True)
class Task:
    """A task: its name, the language instruction stored in datasets, and its success radius."""

    name: str
    description: str
    success_radius: float

    def sample(self, rng: np.random.Generator) -> Layout:
        """Draw an initial layout."""
        lo, hi = (0.06, 0.12) if self.name == "pick-and-place" else (0.05, 0.09)
        while True:
            cube = _sample_table_point(rng)
            yaw = float(rng.uniform(-math.pi, math.pi))
            for _ in range(50):
                goal = _sample_table_point(rng)
                dist = float(np.linalg.norm(goal - cube))
                if not lo <= dist <= hi:
                    continue
                # a push starts behind the cube: keep that spot within the arm's reach too
                behind = cube - (goal - cube) / dist * 0.06
                if self.name != "push" or (np.hypot(*behind) <= MAX_RADIUS and behind[0] >= 0.1):
                    target = np.array(
                        [rng.uniform(0.12, 0.21), rng.uniform(-0.09, 0.09), rng.uniform(0.03, 0.1)]
                    )
                    return Layout(cube_xy=cube, cube_yaw=yaw, goal_xy=goal, target=target)

    def is_success(self, sim: ArmSim) -> bool:
        """Whether the current state of ``sim`` solves the task."""
        if self.name == "reach":
            return bool(np.linalg.norm(sim.tcp_pos - sim.target_pos) < self.success_radius)
        cube = sim.cube_pose[:3]
        close = np.linalg.norm(cube[:2] - sim.goal_pos[:2]) < self.success_radius
        return bool(close and sim.cube_touches_table())

    def reward(self, sim: ArmSim) -> float:
        """1.0 on success, else 0.0 (a sparse reward, as LeRobot's evaluation reports it)."""
        return 1.0 if self.is_success(sim) else 0.0


TASKS: dict[str, Task] = {
    "reach": Task("reach", "Move the gripper to the blue target.", 0.02),
    "pick-and-place": Task(
        "pick-and-place", "Pick up the red cube and place it on the green target.", 0.025
    ),
    "push": Task("push", "Push the red cube onto the green target.", 0.03),
}


def get_task(name: str) -> Task:
    """The task called ``name``; the error lists the valid names."""
    try:
        return TASKS[name]
    except KeyError:
        from lr_core.errors import ConfigError

        raise ConfigError(f"unknown so101 task {name!r}; valid tasks: {', '.join(TASKS)}") from None


__all__ = ["TASKS", "Layout", "Task", "get_task"]
