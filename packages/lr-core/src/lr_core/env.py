"""The base of environment configs (``lr.envs``).

An environment is a gymnasium env whose observations use LeRobot's keys
(``observation.images.<cam>``, ``observation.state``, ``observation.environment_state``) and
whose ``info`` carries ``is_success``. Its config names a factory lazily
(``implementation = "lr_sim.envs.so101:make_env"``).
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import PositiveInt

from lr_core.config import PluginConfig


class EnvConfig(PluginConfig):
    """Fields every environment config has: ``task``, control ``fps`` and ``episode_length``
    (steps)."""

    registry_group: ClassVar[str | None] = "lr.envs"

    task: str | None = None
    """The task to run (each env lists its tasks)."""
    fps: PositiveInt = 30
    """Control steps per simulated second."""
    episode_length: PositiveInt = 300
    """Steps before an episode is cut."""
