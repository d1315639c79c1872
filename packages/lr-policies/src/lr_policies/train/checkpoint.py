"""Training checkpoints: what one holds, writing it, and finding and restoring it to resume.

The layout is LeRobot's (0.6.1), so either tool resumes or loads the other's runs::

    <output_dir>/
        train_config.json                    the resolved run config
        checkpoints/<step>/                  step zero-padded to max(6, digits of total steps)
            pretrained_model/                config.json, model.safetensors, train_config.json,
                                             policy_preprocessor*.json/.safetensors,
                                             policy_postprocessor*.json/.safetensors
            training_state/                  optimizer_param_groups.json,
                                             optimizer_state.safetensors, rng_state.safetensors,
                                             scheduler_state.json, training_step.json
                                             (+ grad_scaler_state.json with use_amp)
        checkpoints/last -> <step>           relative symlink, replaced atomically

A run on an lr ``StreamingLeRobotDataset`` also keeps the stream's position in
``training_state/dataset_state.json`` (its ``state_dict``).

``training_step.json`` is ``{"step": N, "num_processes": P, "batch_size": B}``; the RNG state
holds Python's, NumPy's and torch's generators under LeRobot's key names. A checkpoint is written
into a hidden staging folder and renamed into place, so ``checkpoints/last`` always points at a
complete one.

Where a run starts (:func:`plan_run`): a new run needs an empty or absent ``output_dir``; a folder
left by a run stopped before its first checkpoint is started again; ``resume=True`` continues
the last checkpoint. Every refusal says what to run instead.
"""

from __future__ import annotations

import json
import os
import random
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from lr_core.errors import ConfigError
from lr_core.fileio import atomic_path, atomic_write_text
from lr_policies.errors import CheckpointError
from lr_policies.processors import save_pre_post_processors
from lr_policies.train.config import TRAIN_CONFIG_NAME

if TYPE_CHECKING:  # pragma: no cover
    from lr_policies.pretrained import PreTrainedPolicy
    from lr_policies.processors.factory import Processors
    from lr_policies.train.config import TrainConfig

CHECKPOINTS_DIR = "checkpoints"
LAST_CHECKPOINT_LINK = "last"
PRETRAINED_MODEL_DIR = "pretrained_model"
TRAINING_STATE_DIR = "training_state"
OPTIMIZER_STATE = "optimizer_state.safetensors"
OPTIMIZER_PARAM_GROUPS = "optimizer_param_groups.json"
SCHEDULER_STATE = "scheduler_state.json"
RNG_STATE = "rng_state.safetensors"
TRAINING_STEP = "training_step.json"
#: The fp16 gradient scaler's state (only with ``use_amp``).
GRAD_SCALER_STATE = "grad_scaler_state.json"
#: A streaming dataset's position (``StreamingLeRobotDataset.state_dict``).
DATASET_STATE = "dataset_state.json"
#: What ``lr train`` writes at the top of a run folder (a folder holding only these and no
#: checkpoint is a run stopped before its first save, which may be started again).
RUN_FILES = frozenset(
    {TRAIN_CONFIG_NAME, "metrics.jsonl", "loss_curve.png", CHECKPOINTS_DIR, "eval"}
)


def checkpoint_dir(output_dir: Path, step: int, total_steps: int) -> Path:
    """``<output_dir>/checkpoints/<step>`` with LeRobot's zero padding."""
    width = max(6, len(str(total_steps)))
    return Path(output_dir) / CHECKPOINTS_DIR / f"{step:0{width}d}"


def last_checkpoint(output_dir: str | Path) -> Path | None:
    """The checkpoint ``<output_dir>/checkpoints/last`` points at, if there is one."""
    last = Path(output_dir) / CHECKPOINTS_DIR / LAST_CHECKPOINT_LINK
    return last.resolve() if last.exists() else None


# --------------------------------------------------------------------------- writing


def save_checkpoint(
    target: Path,
    *,
    policy: PreTrainedPolicy,
    processors: Processors,
    train_config: TrainConfig,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler | None,
    scaler: torch.amp.GradScaler | None,
    step: int,
    num_processes: int,
    dataset_state: dict[str, Any] | None = None,
) -> Path:
    """Write a complete checkpoint to ``target`` (``checkpoints/<step>``) and point
    ``checkpoints/last`` at it. The folder appears only once everything is written.
    ``dataset_state``: a stream's position, kept as ``training_state/dataset_state.json``."""
    staging = target.with_name(f".{target.name}.tmp")
    shutil.rmtree(staging, ignore_errors=True)
    model_dir = staging / PRETRAINED_MODEL_DIR
    policy.save_pretrained(model_dir)
    train_config.save(model_dir / TRAIN_CONFIG_NAME)
    save_pre_post_processors(processors, model_dir)
    save_training_state(
        staging / TRAINING_STATE_DIR,
        step=step,
        optimizer=optimizer,
        scheduler=scheduler,
        num_processes=num_processes,
        batch_size=train_config.batch_size,
    )
    if scaler is not None and scaler.is_enabled():
        atomic_write_text(
            staging / TRAINING_STATE_DIR / GRAD_SCALER_STATE, json.dumps(scaler.state_dict()) + "\n"
        )
    if dataset_state is not None:
        atomic_write_text(
            staging / TRAINING_STATE_DIR / DATASET_STATE, json.dumps(dataset_state) + "\n"
        )
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)
    update_last_link(target)
    return target


def update_last_link(checkpoint: Path) -> None:
    """Point ``checkpoints/last`` at ``checkpoint`` (relative symlink, replaced atomically)."""
    link = checkpoint.parent / LAST_CHECKPOINT_LINK
    tmp = checkpoint.parent / f".{LAST_CHECKPOINT_LINK}.tmp"
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    tmp.symlink_to(checkpoint.name)
    os.replace(tmp, link)


def save_training_state(
    directory: Path,
    *,
    step: int,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler | None,
    num_processes: int,
    batch_size: int,
) -> None:
    """Write ``training_state/`` (see the module docstring)."""
    from safetensors.torch import save_file

    directory.mkdir(parents=True, exist_ok=True)
    state = optimizer.state_dict()
    # safetensors creates its files 0600; atomic_path gives them the umask's mode
    with atomic_path(directory / OPTIMIZER_STATE) as tmp:
        save_file(_flatten({"state": state["state"]}), str(tmp))
    atomic_write_text(
        directory / OPTIMIZER_PARAM_GROUPS, json.dumps(state["param_groups"], indent=4) + "\n"
    )
    if scheduler is not None:
        atomic_write_text(directory / SCHEDULER_STATE, json.dumps(scheduler.state_dict()) + "\n")
    with atomic_path(directory / RNG_STATE) as tmp:
        save_file(rng_state(), str(tmp))
    atomic_write_text(
        directory / TRAINING_STEP,
        json.dumps({"step": step, "num_processes": num_processes, "batch_size": batch_size}) + "\n",
    )


# --------------------------------------------------------------------------- where a run starts


@dataclass(frozen=True)
class ResumePoint:
    """A checkpoint to continue from, with what its ``training_step.json`` says."""

    checkpoint: Path
    step: int
    num_processes: int | None
    batch_size: int | None

    @property
    def pretrained_model(self) -> Path:
        """The policy folder (weights, config, processors)."""
        return self.checkpoint / PRETRAINED_MODEL_DIR

    @property
    def training_state(self) -> Path:
        """The optimizer, scheduler, RNG and step folder."""
        return self.checkpoint / TRAINING_STATE_DIR

    @property
    def dataset_state(self) -> dict[str, Any] | None:
        """A streaming dataset's saved position (``None`` when the run did not stream)."""
        file = self.training_state / DATASET_STATE
        if not file.is_file():
            return None
        try:
            return json.loads(file.read_text())
        except (OSError, ValueError) as exc:
            raise CheckpointError(f"{file} cannot be read: {exc}") from exc

    @classmethod
    def read(cls, checkpoint: Path) -> ResumePoint:
        """Read ``checkpoint/training_state/training_step.json``."""
        if not (checkpoint / TRAINING_STATE_DIR).is_dir():
            raise CheckpointError(
                f"cannot resume from {checkpoint}: it has no {TRAINING_STATE_DIR}/ (a policy "
                "folder, not a training checkpoint); start a new run from its weights with "
                f"--policy.pretrained_path={checkpoint / PRETRAINED_MODEL_DIR}"
            )
        data = read_training_step(checkpoint / TRAINING_STATE_DIR)
        return cls(
            checkpoint=checkpoint,
            step=int(data["step"]),
            num_processes=data.get("num_processes"),
            batch_size=data.get("batch_size"),
        )


@dataclass(frozen=True)
class RunPlan:
    """Where a run writes and what it continues: ``resume`` is ``None`` for a run from step 0;
    ``notice`` is a line to show the user (a restarted folder, nothing left to do...);
    ``finished`` means the resumed run has already reached its last step."""

    output_dir: Path
    resume: ResumePoint | None = None
    notice: str | None = None
    finished: bool = False


def find_checkpoint(cfg: TrainConfig, config_path: str | Path | None = None) -> Path:
    """The checkpoint a ``--resume=true`` run continues: the one whose
    ``pretrained_model/train_config.json`` was passed as ``--config_path``, else
    ``<output_dir>/checkpoints/last``."""
    if config_path is not None:
        path = Path(config_path).resolve()
        if path.parent.name == PRETRAINED_MODEL_DIR:
            return path.parent.parent
    if not cfg.output_dir:
        raise ConfigError(
            "--resume=true needs the run to continue: --output_dir=<run folder>, or "
            "--config_path=<run>/checkpoints/last/pretrained_model/train_config.json"
        )
    found = last_checkpoint(cfg.output_dir)
    if found is None:
        raise CheckpointError(
            f"cannot resume: {Path(cfg.output_dir) / CHECKPOINTS_DIR / LAST_CHECKPOINT_LINK} does "
            "not exist (no checkpoint was saved); run again without --resume=true to start over"
        )
    return found


def plan_run(
    cfg: TrainConfig,
    *,
    checkpoint: str | Path | None = None,
    world_size: int = 1,
    stop_after_steps: int | None = None,
    claim: bool = True,
) -> RunPlan:
    """Decide where the run ``cfg`` writes and which checkpoint it continues (see the module
    docstring); raise :class:`ConfigError` naming the way out when it cannot start.

    ``claim``: clear a folder left by a run stopped before its first checkpoint (the main
    process does; the other ranks of a DDP job only look).
    """
    if not cfg.resume:
        output_dir = cfg.resolved_output_dir()
        return RunPlan(output_dir, notice=_claim_output_dir(output_dir, clear=claim))

    if checkpoint is None and cfg.output_dir and last_checkpoint(cfg.output_dir) is None:
        # A run stopped before its first checkpoint: nothing to resume, so start it again.
        output_dir = Path(cfg.output_dir)
        if not output_dir.exists():
            raise ConfigError(
                f"cannot resume: {output_dir} does not exist. Check --output_dir, or drop "
                "--resume=true to start a new run there"
            )
        _claim_output_dir(output_dir, clear=claim)
        return RunPlan(
            output_dir,
            notice=f"{output_dir} has no checkpoint yet (the run stopped before its first "
            "save): starting from step 0",
        )

    ckpt = Path(checkpoint) if checkpoint is not None else find_checkpoint(cfg)
    point = ResumePoint.read(ckpt)
    output_dir = Path(cfg.output_dir) if cfg.output_dir else ckpt.parent.parent
    if (point.num_processes, point.batch_size) != (world_size, cfg.batch_size):
        raise ConfigError(
            f"{ckpt} was written by {point.num_processes} process(es) with batch_size "
            f"{point.batch_size}; resume with --batch_size={point.batch_size} on "
            f"{point.num_processes} process(es) (now {world_size} and {cfg.batch_size}) to keep "
            "the data order exact, or start a new run with another --output_dir"
        )
    if point.step > cfg.steps:
        raise ConfigError(
            f"{ckpt} is at step {point.step}, past --steps={cfg.steps}; pass --steps={point.step}"
            " or more to continue it"
        )
    end = cfg.steps if stop_after_steps is None else min(cfg.steps, stop_after_steps)
    if point.step >= end:
        why = (
            f"the run already finished: its last checkpoint {ckpt} is at step {point.step} = "
            f"--steps. Nothing to do; pass a larger --steps to train further"
            if end == cfg.steps
            else f"{ckpt} is already at step {point.step} >= --stop_after_steps="
            f"{stop_after_steps}. Nothing to do"
        )
        return RunPlan(output_dir, resume=point, notice=why, finished=True)
    return RunPlan(output_dir, resume=point)


def _claim_output_dir(output_dir: Path, *, clear: bool) -> str | None:
    """Make ``output_dir`` ready for a run from step 0: absent or empty is fine; a run folder
    without any checkpoint is cleared (notice returned); anything else is refused."""
    if not output_dir.exists() or not any(output_dir.iterdir()):
        return None
    found = last_checkpoint(output_dir)
    if found is not None:
        raise ConfigError(
            f"output_dir {output_dir} holds a run with a checkpoint ({found.name}): continue it "
            f"with --output_dir={output_dir} --resume=true, or choose another --output_dir"
        )
    entries = {p.name for p in output_dir.iterdir()}
    foreign = sorted(entries - RUN_FILES)
    if foreign or TRAIN_CONFIG_NAME not in entries:
        shown = ", ".join(foreign[:5] or sorted(entries)[:5])
        raise ConfigError(
            f"output_dir {output_dir} is not empty and is not an lr train run (it holds "
            f"{shown}); choose another --output_dir"
        )
    for name in entries if clear else ():
        path = output_dir / name
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
    return (
        f"{output_dir} held a run stopped before its first checkpoint: starting it again "
        "from step 0"
    )


# --------------------------------------------------------------------------- restoring


def read_training_step(directory: Path) -> dict[str, Any]:
    """``training_step.json`` of a ``training_state/`` folder."""
    file = directory / TRAINING_STEP
    try:
        data = json.loads(file.read_text())
        int(data["step"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CheckpointError(f"{file} is missing or malformed: {exc}") from exc
    return data


def load_training_state(
    directory: Path,
    *,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler | None,
    scaler: torch.amp.GradScaler | None = None,
) -> int:
    """Restore the optimizer, scheduler, gradient scaler and RNG states from
    ``training_state/``; return the step."""
    from safetensors.torch import load_file

    if not directory.is_dir():
        raise CheckpointError(f"{directory} does not exist: the checkpoint has no training state")
    step = int(read_training_step(directory)["step"])
    try:
        flat = load_file(str(directory / OPTIMIZER_STATE))
        groups = json.loads((directory / OPTIMIZER_PARAM_GROUPS).read_text())
        rng = load_file(str(directory / RNG_STATE))
    except Exception as exc:
        raise CheckpointError(f"training state in {directory} cannot be read: {exc}") from exc
    state = _unflatten(flat).get("state", {})
    try:
        optimizer.load_state_dict({"state": state, "param_groups": groups})
    except (ValueError, KeyError) as exc:
        raise CheckpointError(
            f"optimizer state in {directory} does not fit this policy's parameters: {exc}"
        ) from exc
    if scheduler is not None:
        file = directory / SCHEDULER_STATE
        if not file.is_file():
            raise CheckpointError(f"{file} is missing but this run uses a learning-rate schedule")
        scheduler.load_state_dict(json.loads(file.read_text()))
    scaler_file = directory / GRAD_SCALER_STATE
    if scaler is not None and scaler.is_enabled() and scaler_file.is_file():
        scaler.load_state_dict(json.loads(scaler_file.read_text()))
    set_rng_state(rng)
    return step


def _flatten(data: Any, prefix: str = "") -> dict[str, torch.Tensor]:
    out: dict[str, torch.Tensor] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, f"{name}/"))
        elif isinstance(value, torch.Tensor):
            out[name] = value.detach().cpu().contiguous()
        else:
            out[name] = torch.tensor(value)
    return out


def _unflatten(flat: dict[str, torch.Tensor]) -> dict[Any, Any]:
    out: dict[Any, Any] = {}
    for name, value in flat.items():
        node = out
        *path, leaf = name.split("/")
        for part in path:
            node = node.setdefault(int(part) if part.isdigit() else part, {})
        node[int(leaf) if leaf.isdigit() else leaf] = value
    return out


# --------------------------------------------------------------------------- RNG


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def rng_state() -> dict[str, torch.Tensor]:
    """Python, NumPy and torch (CPU and CUDA) generator states as tensors."""
    version, py_state, _ = random.getstate()
    np_state = np.random.get_state()
    out = {
        "py_rng_version": torch.tensor([version], dtype=torch.int64),
        "py_rng_state": torch.tensor(py_state, dtype=torch.int64),
        "np_rng_state_values": torch.tensor(np_state[1], dtype=torch.int64),
        "np_rng_state_index": torch.tensor([np_state[2]], dtype=torch.int64),
        "np_rng_has_gauss": torch.tensor([np_state[3]], dtype=torch.int64),
        "np_rng_cached_gaussian": torch.tensor([np_state[4]], dtype=torch.float32),
        "torch_rng_state": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        out["torch_cuda_rng_state"] = torch.cuda.get_rng_state()
    return out


def set_rng_state(state: dict[str, torch.Tensor]) -> None:
    """Restore :func:`rng_state`'s output."""
    random.setstate(
        (int(state["py_rng_version"].item()), tuple(state["py_rng_state"].tolist()), None)
    )
    np.random.set_state(
        (
            "MT19937",
            state["np_rng_state_values"].numpy().astype(np.uint32),
            int(state["np_rng_state_index"].item()),
            int(state["np_rng_has_gauss"].item()),
            float(state["np_rng_cached_gaussian"].item()),
        )
    )
    torch.set_rng_state(state["torch_rng_state"])
    if torch.cuda.is_available() and "torch_cuda_rng_state" in state:
        torch.cuda.set_rng_state(state["torch_cuda_rng_state"])
