"""The configuration of a training run (``lr train``), torch-free.

Composed of a policy config (``--policy.type=act --policy.chunk_size=50``), a dataset part
(``--dataset.repo_id=user/name --dataset.root=...``) and the run's own settings (``--steps``,
``--batch_size``, ``--save_freq``...), with LeRobot 0.6.1's ``lerobot-train`` names and defaults
except where this machine decides better (``num_workers``). The resolved config is written to
``<output_dir>/train_config.json`` and into every checkpoint's ``pretrained_model/``.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import ClassVar, Literal

from pydantic import Field, NonNegativeInt, model_validator

from lr_core.config import LrConfig
from lr_core.env import EnvConfig
from lr_core.errors import ConfigError
from lr_core.policy import PolicyConfig
from lr_dataset.transforms import ImageTransformsConfig
from lr_policies.eval.config import EvalConfig
from lr_policies.optim import OptimizerConfig, SchedulerConfig

TRAIN_CONFIG_NAME = "train_config.json"


def default_num_workers() -> int:
    """Data-loader workers for this machine: the CPUs this process may use (affinity, cgroup
    limits) minus one for the training process, at most 8 (0 on one CPU, 1 on two)."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        cpus = os.cpu_count() or 1
    return max(0, min(cpus - 1, 8))


class DatasetConfig(LrConfig):
    """Which LeRobotDataset to train on (LeRobot's ``DatasetConfig`` names)."""

    repo_id: str
    """Hub id of the dataset (``user/name``); with ``root`` only its name."""
    root: str | None = None
    """Local folder of the dataset (default: ``$HF_LEROBOT_HOME/<repo_id>``)."""
    revision: str | None = None
    """Hub revision (branch, tag or commit) to read."""
    episodes: list[NonNegativeInt] | None = None
    """Episodes to train on, as a list or ranges: ``'[0, 2]'`` or ``0,2,5-9`` (default: all)."""
    use_imagenet_stats: bool = True
    """Replace the camera mean/std with ImageNet's (LeRobot's default)."""
    video_backend: Literal["pyav", "torchcodec", "video_reader"] | None = None
    """Accepted for LeRobot scripts; lr always decodes video with PyAV."""
    image_transforms: ImageTransformsConfig = ImageTransformsConfig()
    """Random image augmentation while training (LeRobot's ``ImageTransformsConfig``)."""
    streaming: bool = False
    """Read the dataset as a ``StreamingLeRobotDataset`` (a folder or a URL, nothing downloaded
    up front; its position is saved in checkpoints and resumed exactly)."""
    episode_pool_size: int = Field(16, ge=1)
    """With ``streaming``: whole episodes each DataLoader worker keeps resident and draws its
    samples from (more: a more random order, more memory)."""

    unsupported: ClassVar[dict[str, str]] = {
        "repo_type": "datasets are always Hub dataset repositories",
        "depth_output_unit": "depth cameras are not supported by lr train yet",
        "eval_split": "lr train computes no held-out loss",
    }


class WandbConfig(LrConfig):
    """Weights & Biases logging."""

    enable: bool = False
    """Log to wandb (used only when the ``wandb`` package is installed; a warning otherwise)."""
    project: str = "lr"
    """wandb project."""
    entity: str | None = None
    """wandb entity (user or team)."""
    mode: str | None = None
    """wandb mode: ``online``, ``offline`` or ``disabled``."""


class TrainConfig(LrConfig):
    """One training run.

    ``batch_size`` is per process (the effective batch is ``batch_size × world size``). With
    ``env`` set (``--env.type=...``), the policy is evaluated in that environment every
    ``env_eval_freq`` steps by the main process; results go to ``<output_dir>/eval/<step>/`` and
    ``metrics.jsonl``. ``resume=true`` continues ``output_dir``'s last checkpoint (or the
    checkpoint whose ``train_config.json`` was given with ``--config_path``) exactly where it
    stopped; a run stopped before its first checkpoint starts again from step 0.
    """

    policy: PolicyConfig
    """The policy to train: ``--policy.type=act`` and its fields (``--policy.chunk_size=50``)."""
    dataset: DatasetConfig
    """The dataset to train on."""
    output_dir: str | None = None
    """Run folder (default: ``outputs/train/<date>/<time>_<job_name>``)."""
    job_name: str | None = None
    """Name in the default run folder and in wandb (default: the policy type)."""
    resume: bool = False
    """Continue the run in ``output_dir`` (or ``--config_path``'s checkpoint)."""
    seed: int = Field(1000, ge=0)
    """Seed of every random generator and of the data order."""
    cudnn_deterministic: bool = False
    """Make cuDNN deterministic (slower); otherwise cuDNN benchmarks its algorithms."""
    steps: int = Field(100_000, ge=1)
    """Optimizer steps in the whole run."""
    batch_size: int = Field(8, ge=1)
    """Samples per step and process."""
    num_workers: int = Field(default_factory=default_num_workers, ge=0)
    """Data-loader worker processes (default: this machine's CPUs - 1, at most 8)."""
    prefetch_factor: int = Field(4, ge=1)
    """Batches each worker loads ahead."""
    persistent_workers: bool = True
    """Keep the data-loader workers alive between epochs."""
    log_freq: int = Field(200, ge=1)
    """Steps between two metric lines."""
    save_checkpoint: bool = True
    """Save checkpoints (the last step's, and every ``save_freq`` steps)."""
    save_freq: int = 20_000
    """Steps between checkpoints (≤ 0: only the last one)."""
    use_policy_training_preset: bool = True
    """Use the policy's optimizer and scheduler preset where --optimizer/--scheduler are not
    given; false requires --optimizer.type."""
    optimizer: OptimizerConfig | None = None
    """Optimizer (default: the policy's preset)."""
    scheduler: SchedulerConfig | None = None
    """Learning-rate schedule (default: the policy's preset)."""
    device: str | None = None
    """Torch device (default: cuda when available, else cpu)."""
    rename_map: dict[str, str] = {}
    """Dataset key -> policy key (JSON), to train on a camera under another name, e.g.
    ``'{"observation.images.left": "observation.images.top"}'``."""
    tolerance_s: float = Field(1e-4, gt=0)
    """Timestamp tolerance (s) when matching requested frames to recorded ones."""
    progress_bar: bool = True
    """Show the progress bar."""
    wandb: WandbConfig = WandbConfig()
    """Weights & Biases logging."""
    env: EnvConfig | None = None
    """Environment to evaluate in while training (``--env.type=...``; default: none)."""
    env_eval_freq: int = 20_000
    """Steps between evaluations in ``env`` (≤ 0: never)."""
    eval: EvalConfig = EvalConfig(n_episodes=10, max_videos=2)
    """Evaluation settings while training."""

    aliases: ClassVar[dict[str, str]] = {"eval_freq": "env_eval_freq"}
    unsupported: ClassVar[dict[str, str]] = {
        "eval_steps": "lr train computes no held-out loss",
        "peft": "lr train does not fine-tune with PEFT adapters; train all weights, or freeze "
        "them in Python",
        "job": "lr train does not launch Hugging Face Jobs; run it on the machine itself",
        "save_checkpoint_to_hub": "lr train does not upload checkpoints; push the "
        "pretrained_model folder with huggingface_hub",
        "sample_weighting": "lr train draws every frame with the same weight",
        "reward_model": "lr train does not train reward models",
        "dataloader_multiprocessing_context": "data-loader workers use the platform default "
        "start method",
    }

    @model_validator(mode="after")
    def _check(self) -> TrainConfig:
        if type(self.policy).own_type() is None:
            raise ConfigError(
                f"policy type {self.policy.type!r} is not registered; "
                f"installed: {PolicyConfig.available_types()}"
            )
        if not self.use_policy_training_preset and self.optimizer is None:
            raise ValueError(
                "use_policy_training_preset=false needs an optimizer: pass --optimizer.type="
                "adamw (and --optimizer.lr=..., --scheduler.type=...), or drop "
                "--use_policy_training_preset=false to use the policy's preset"
            )
        return self

    def resolved_output_dir(self) -> Path:
        """``output_dir``, else ``outputs/train/<date>/<time>_<job_name>`` as LeRobot."""
        if self.output_dir:
            return Path(self.output_dir)
        now = dt.datetime.now()
        job = self.job_name or f"{self.policy.type}"
        return Path("outputs/train") / now.strftime("%Y-%m-%d") / f"{now:%H-%M-%S}_{job}"
