"""The configuration of an evaluation run (``lr eval``), torch-free."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from pydantic import Field

from lr_core.config import LrConfig
from lr_core.env import EnvConfig


class PolicyRef(LrConfig):
    """Which saved policy to run: a checkpoint folder (``.../pretrained_model``) or a Hub id;
    with ``server`` (``tcp://host:port``) it runs in that ``lr serve`` (``path`` is then
    resolved there)."""

    path: str
    """The saved policy: a checkpoint folder (.../pretrained_model, or the step folder) or a Hub
    model id."""
    revision: str | None = None
    """Hub revision of path."""
    device: str | None = None
    """Torch device (default: cuda when available, else cpu)."""
    server: str | None = None
    """Evaluate through a running `lr serve` at this address (tcp://host:port) instead of
    loading the policy here."""


class EvalConfig(LrConfig):
    """``n_episodes`` in batches of ``batch_size`` parallel envs (0: ``min(n_episodes,
    max(1, 0.7 × CPUs), 64)`` as LeRobot); ``use_async_envs`` runs each env in its own process;
    the first ``max_videos`` episodes are saved as MP4."""

    n_episodes: int = Field(50, ge=1)
    """Episodes to run."""
    batch_size: int = Field(0, ge=0)
    """Envs run in parallel (0: min(n_episodes, 0.7 x CPUs, 64), as LeRobot)."""
    use_async_envs: bool = False
    """Run each env in its own process."""
    max_videos: int = Field(10, ge=0)
    """The first episodes saved as MP4 videos."""


class EvalRunConfig(LrConfig):
    """One evaluation: ``--policy.path=… --env.type=… --eval.n_episodes=…``. Episode ``i`` is
    reset with seed ``seed + i``."""

    policy: PolicyRef
    """The saved policy to run."""
    env: EnvConfig
    """The environment: --env.type=NAME and its fields."""
    eval: EvalConfig = EvalConfig()
    """How many episodes, in what batches, with how many videos."""
    output_dir: str | None = None
    """Where eval_info.json and the videos go (default: outputs/eval/<date>/<time>_<job_name>)."""
    job_name: str | None = None
    """Name in the default output folder (default: the env type)."""
    seed: int = Field(1000, ge=0)
    """Episode i is reset with seed + i."""
    rename_map: dict[str, str] = {}
    """Env key -> policy key (JSON), to feed a camera under the name the policy was trained with."""

    def resolved_output_dir(self) -> Path:
        """``output_dir``, else ``outputs/eval/<date>/<time>_<job_name>`` as LeRobot."""
        if self.output_dir:
            return Path(self.output_dir)
        now = dt.datetime.now()
        job = self.job_name or self.env.type
        return Path("outputs/eval") / now.strftime("%Y-%m-%d") / f"{now:%H-%M-%S}_{job}"
