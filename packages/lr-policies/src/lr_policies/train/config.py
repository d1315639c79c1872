"""The configuration of a training run (``lr train``), torch-free.

Composed of a policy config (``--policy.type=act --policy.chunk_size=50``), a dataset part
(``--dataset.repo_id=user/name --dataset.root=...``) and the run's own settings (``--steps``,
``--batch_size``, ``--save_freq``...). The resolved config is written to
``<output_dir>/train_config.json`` and into every checkpoint's ``pretrained_model/``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from pydantic import Field, model_validator

from lr_core.config import LrConfig
from lr_core.env import EnvConfig
from lr_core.errors import ConfigError
from lr_core.policy import PolicyConfig
from lr_policies.eval.config import EvalConfig
from lr_policies.optim import OptimizerConfig, SchedulerConfig

TRAIN_CONFIG_NAME = "train_config.json"


class DatasetConfig(LrConfig):
    """Which LeRobotDataset to train on.

    ``root`` defaults to ``$HF_LEROBOT_HOME/<repo_id>``; ``episodes`` selects a subset;
    ``use_imagenet_stats`` replaces camera mean/std with ImageNet's (LeRobot's default).
    ``streaming=true`` reads it as a ``StreamingLeRobotDataset`` (a local folder or a URL,
    nothing downloaded up front) keeping ``episode_pool_size`` episodes per DataLoader worker.
    """

    repo_id: str
    root: str | None = None
    revision: str | None = None
    episodes: list[int] | None = None
    use_imagenet_stats: bool = True
    streaming: bool = False
    episode_pool_size: int = Field(16, ge=1)


class WandbConfig(LrConfig):
    """Weights & Biases logging; used only when ``enable`` and the ``wandb`` package is
    installed (a warning is printed otherwise)."""

    enable: bool = False
    project: str = "lr"
    entity: str | None = None
    mode: str | None = None


class TrainConfig(LrConfig):
    """One training run.

    ``batch_size`` is per process (the effective batch is ``batch_size × world size``).
    With ``env`` set (``--env.type=...``), the policy is evaluated in that environment every
    ``eval_freq`` steps (``eval``: episodes, batch size, videos) by the main process; results go
    to ``<output_dir>/eval/<step>/`` and ``metrics.jsonl``.
    ``save_freq`` ≤ 0 keeps only the final checkpoint. ``optimizer``/``scheduler`` left empty
    take the policy's preset (LeRobot's ``use_policy_training_preset``). ``resume=true`` continues
    ``output_dir``'s last checkpoint (or the checkpoint whose ``train_config.json`` was given
    with ``--config_path``) exactly where it stopped.
    """

    policy: PolicyConfig
    dataset: DatasetConfig
    output_dir: str | None = None
    job_name: str | None = None
    resume: bool = False
    seed: int = 1000
    steps: int = Field(100_000, ge=1)
    batch_size: int = Field(8, ge=1)
    num_workers: int = Field(4, ge=0)
    prefetch_factor: int = Field(4, ge=1)
    log_freq: int = Field(200, ge=1)
    save_checkpoint: bool = True
    save_freq: int = 20_000
    optimizer: OptimizerConfig | None = None
    scheduler: SchedulerConfig | None = None
    device: str | None = None
    rename_map: dict[str, str] = {}
    progress_bar: bool = True
    wandb: WandbConfig = WandbConfig()
    env: EnvConfig | None = None
    eval_freq: int = 20_000
    eval: EvalConfig = EvalConfig(n_episodes=10, max_videos=2)

    @model_validator(mode="after")
    def _check(self) -> TrainConfig:
        if type(self.policy).own_type() is None:
            raise ConfigError(
                f"policy type {self.policy.type!r} is not registered; "
                f"installed: {PolicyConfig.available_types()}"
            )
        return self

    def resolved_output_dir(self) -> Path:
        """``output_dir``, else ``outputs/train/<date>/<time>_<job_name>`` as LeRobot."""
        if self.output_dir:
            return Path(self.output_dir)
        now = dt.datetime.now()
        job = self.job_name or f"{self.policy.type}"
        return Path("outputs/train") / now.strftime("%Y-%m-%d") / f"{now:%H-%M-%S}_{job}"
