"""Config of the simulated SO-101 follower (``--robot.type=sim_so101``); cheap to import."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, field_validator

from lr_core.config import LrConfig
from lr_core.devices import RobotConfig
from lr_sim.configs import SO101_CAMERAS, SO101_TASKS
from lr_sim.render import RenderSettings


class SimCameraConfig(LrConfig):
    """One rendered camera of the simulated robot: which scene camera, and the frame size."""

    camera: str = "front"
    """Which camera of the MuJoCo scene renders this view."""
    width: int = Field(default=640, gt=0)
    """Rendered frame width, in pixels."""
    height: int = Field(default=480, gt=0)
    """Rendered frame height, in pixels."""

    @field_validator("camera")
    @classmethod
    def _check_camera(cls, value: str) -> str:
        if value not in SO101_CAMERAS:
            raise ValueError(f"unknown camera {value!r}; the scene has {', '.join(SO101_CAMERAS)}")
        return value


class SimSO101Config(RobotConfig):
    """The MuJoCo SO-101 arm behind the real follower's interface (:mod:`lr_sim.robot`).

    - ``cameras``: observation key → :class:`SimCameraConfig` (LeRobot-style camera keys).
    - ``max_relative_target``: like the real follower, clamp each goal to the present position
      ± this many normalised units (one value, or one per motor); ``None`` disables it.
    - ``use_degrees``: arm joints in degrees from the middle of their range.
    - ``realtime``: advance the physics with the wall clock (like hardware); with ``False``
      every ``send_action`` advances exactly ``1 / fps`` s (deterministic, for tests).
    - ``task`` and ``seed``: the table layout (cube, goal) the scene starts with.
    """

    type: Literal["sim_so101"] = "sim_so101"
    implementation: ClassVar[str] = "lr_sim.robot:SimSO101"

    cameras: dict[str, SimCameraConfig] = Field(default_factory=dict)
    max_relative_target: float | dict[str, float] | None = None
    use_degrees: bool = False
    realtime: bool = True
    fps: int = Field(default=30, gt=0)
    """Control rate, in steps per second (with realtime=false each action advances 1/fps s)."""
    task: str = "pick-and-place"
    """The so101 task whose table layout (cube, goal) the scene starts with."""
    seed: int | None = 0
    """Seed the starting layout is drawn from (null: a different layout each connect)."""
    render: RenderSettings = Field(default_factory=RenderSettings)
    """What the camera renderer draws (anti-aliasing, shadows, reflections)."""

    @field_validator("task")
    @classmethod
    def _check_task(cls, value: str) -> str:
        if value not in SO101_TASKS:
            raise ValueError(f"unknown so101 task {value!r}; valid: {', '.join(SO101_TASKS)}")
        return value
