"""Environment configs registered in ``lr.envs`` (cheap to import: no mujoco, no gymnasium).

``--env.type=so101`` selects :class:`SO101EnvConfig`, ``--env.type=metaworld``
:class:`MetaWorldEnvConfig`. Each names its factory lazily in ``implementation``; build an env
with :func:`lr_sim.make_env` (``make_env(config) -> gymnasium.Env``).
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, field_validator

from lr_core.env import EnvConfig
from lr_sim.render import RenderSettings

SO101_TASKS = ("reach", "pick-and-place", "push")
SO101_CAMERAS = ("front", "wrist", "top")


class SO101EnvConfig(EnvConfig):
    """The SO-101-like arm on a table with a cube (:mod:`lr_sim.so101`).

    - ``task``: ``reach``, ``pick-and-place`` or ``push``.
    - ``fps``: control steps per simulated second; ``episode_length``: steps before truncation.
    - ``cameras``: rendered cameras (``front``, ``wrist``, ``top``), each an
      ``observation.images.<cam>`` of ``image_height x image_width`` RGB. ``[]`` for state only.
    - ``use_degrees``: arm joints in degrees instead of −100..100 (the gripper stays 0..100).
    - ``terminate_on_success``: end the episode at the first successful step.
    """

    type: Literal["so101"] = "so101"
    implementation: ClassVar[str] = "lr_sim.so101.env:make_env"
    #: The scripted expert (``Expert(env)`` with ``reset()`` and ``act()``).
    expert: ClassVar[str] = "lr_sim.so101.expert:SO101Expert"
    #: ``robot_type`` written into recorded datasets.
    robot_type: ClassVar[str] = "sim_so101"

    task: str = "pick-and-place"
    """reach, pick-and-place or push."""
    fps: int = Field(default=30, gt=0)
    """Control steps per simulated second."""
    episode_length: int = Field(default=300, gt=0)
    """Steps before an episode is cut."""
    cameras: list[str] = Field(default_factory=lambda: ["front", "wrist"])
    """Rendered cameras (front, wrist, top), each an observation.images.<cam>; [] for state only."""
    image_height: int = Field(default=224, gt=0)
    """Height of each camera image (pixels)."""
    image_width: int = Field(default=224, gt=0)
    """Width of each camera image (pixels)."""
    render: RenderSettings = Field(default_factory=RenderSettings)
    """What the renderer draws (anti-aliasing, shadows, reflections)."""
    use_degrees: bool = False
    """Arm joints in degrees instead of -100..100 (the gripper stays 0..100)."""
    terminate_on_success: bool = True
    """End the episode at the first successful step."""

    def expand(self) -> list[SO101EnvConfig]:
        """One config per task this config stands for (just itself)."""
        return [self]

    @field_validator("task")
    @classmethod
    def _check_task(cls, value: str) -> str:
        if value not in SO101_TASKS:
            raise ValueError(f"unknown so101 task {value!r}; valid: {', '.join(SO101_TASKS)}")
        return value

    @field_validator("cameras")
    @classmethod
    def _check_cameras(cls, value: list[str]) -> list[str]:
        unknown = [c for c in value if c not in SO101_CAMERAS]
        if unknown:
            raise ValueError(f"unknown cameras {unknown}; the scene has {', '.join(SO101_CAMERAS)}")
        if len(set(value)) != len(value):
            raise ValueError(f"cameras {value} lists a camera twice")
        return value


class MetaWorldEnvConfig(EnvConfig):
    """One Meta-World task (``metaworld`` 3.1, tasks named ``*-v3``, e.g. ``pick-place-v3``).

    - ``task``: a task name, or ``MT10`` / ``MT50`` for a whole task set (see
      :func:`lr_sim.metaworld.tasks.task_names`); an env is built for one task at a time.
    - ``cameras``: Meta-World cameras rendered as ``observation.images.<cam>``; ``corner2`` is
      flipped upright.
    - ``episode_length``: at most 500 (Meta-World's ``max_path_length``).
    """

    type: Literal["metaworld"] = "metaworld"
    implementation: ClassVar[str] = "lr_sim.metaworld.env:make_env"
    expert: ClassVar[str] = "lr_sim.metaworld.env:MetaWorldExpert"
    robot_type: ClassVar[str] = "sawyer"

    task: str = "pick-place-v3"
    """A Meta-World task (e.g. pick-place-v3), or MT10 / MT50 for a task set."""
    fps: int = Field(default=80, gt=0)
    """Control steps per simulated second."""
    episode_length: int = Field(default=400, gt=0, le=500)
    """Steps before an episode is cut (at most 500)."""
    cameras: list[str] = Field(default_factory=lambda: ["corner2"])
    """Meta-World cameras rendered as observation.images.<cam> (corner2 is flipped upright)."""
    image_height: int = Field(default=224, gt=0)
    """Height of each camera image (pixels)."""
    image_width: int = Field(default=224, gt=0)
    """Width of each camera image (pixels)."""
    render: RenderSettings = Field(default_factory=RenderSettings)
    """What the renderer draws (anti-aliasing, shadows, reflections)."""
    terminate_on_success: bool = True
    """End the episode at the first successful step."""

    def expand(self) -> list[MetaWorldEnvConfig]:
        """One config per task: ``MT10`` → ten configs (imports ``metaworld.env_dict``)."""
        from lr_sim.metaworld.tasks import task_names

        return [self.model_copy(update={"task": name}) for name in task_names(self.task)]
