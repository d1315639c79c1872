"""Checkpoints of a training run, in LeRobot's layout::

    checkpoints/<step, zero-padded to max(6, digits of total steps)>/
        pretrained_model/   config.json, model.safetensors, train_config.json, processor files
        training_state/     optimizer_param_groups.json, optimizer_state.safetensors,
                            rng_state.safetensors, scheduler_state.json, training_step.json
    checkpoints/last -> <step>   (relative symlink)

``training_step.json`` is ``{"step": N, "num_processes": P, "batch_size": B}``. The RNG state holds
Python's, NumPy's and torch's generators under LeRobot's key names.
"""

from __future__ import annotations

import json
import os
import random
from pathlib import Path
from typing import Any

import numpy as np
import torch

from lr_core.fileio import atomic_write_text
from lr_policies.errors import CheckpointError

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


def checkpoint_dir(output_dir: Path, step: int, total_steps: int) -> Path:
    """``<output_dir>/checkpoints/<step>`` with LeRobot's zero padding."""
    width = max(6, len(str(total_steps)))
    return Path(output_dir) / CHECKPOINTS_DIR / f"{step:0{width}d}"


def update_last_link(checkpoint: Path) -> None:
    """Point ``checkpoints/last`` at ``checkpoint`` (relative symlink, replaced atomically)."""
    link = checkpoint.parent / LAST_CHECKPOINT_LINK
    tmp = checkpoint.parent / f".{LAST_CHECKPOINT_LINK}.tmp"
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    tmp.symlink_to(checkpoint.name)
    os.replace(tmp, link)


# --------------------------------------------------------------------------- RNG


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


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


# --------------------------------------------------------------------------- optimizer


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
    save_file(_flatten({"state": state["state"]}), str(directory / OPTIMIZER_STATE))
    atomic_write_text(
        directory / OPTIMIZER_PARAM_GROUPS, json.dumps(state["param_groups"], indent=4) + "\n"
    )
    if scheduler is not None:
        atomic_write_text(directory / SCHEDULER_STATE, json.dumps(scheduler.state_dict()) + "\n")
    save_file(rng_state(), str(directory / RNG_STATE))
    atomic_write_text(
        directory / TRAINING_STEP,
        json.dumps({"step": step, "num_processes": num_processes, "batch_size": batch_size}) + "\n",
    )


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
) -> int:
    """Restore optimizer, scheduler and RNG states from ``training_state/``; return the step."""
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
    set_rng_state(rng)
    return step
