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
    revision: str | None = None
    device: str | None = None
    server: str | None = None


class EvalConfig(LrConfig):
    """``n_episodes`` in batches of ``batch_size`` parallel envs (0: ``min(n_episodes,
    max(1, 0.7 × CPUs), 64)`` as LeRobot); ``use_async_envs`` runs each env in its own process;
    the first ``max_videos`` episodes are saved as MP4."""

    n_episodes: int = Field(50, ge=1)
    batch_size: int = Field(0, ge=0)
    use_async_envs: bool = False
    max_videos: int = Field(10, ge=0)


class EvalRunConfig(LrConfig):
    """One evaluation: ``--policy.path=… --env.type=… --eval.n_episodes=…``. Episode ``i`` is
    reset with seed ``seed + i``."""

    policy: PolicyRef
    env: EnvConfig
    eval: EvalConfig = EvalConfig()
    output_dir: str | None = None
    job_name: str | None = None
    seed: int = 1000
    rename_map: dict[str, str] = {}

    def resolved_output_dir(self) -> Path:
        """``output_dir``, else ``outputs/eval/<date>/<time>_<job_name>`` as LeRobot."""
        if self.output_dir:
            return Path(self.output_dir)
        now = dt.datetime.now()
        job = self.job_name or self.env.type
        return Path("outputs/eval") / now.strftime("%Y-%m-%d") / f"{now:%H-%M-%S}_{job}"
