"""Ctrl-C in `lr train`: the command and its data-loader workers are gone promptly, and the run
folder it leaves can be started again or resumed without deleting anything by hand.

Ctrl-C is emulated as a terminal sends it: SIGINT to the whole process group of the command.
Timeouts below are hang guards, not speed requirements.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

SMALL_ACT = [
    "--policy.type=act",
    "--policy.chunk_size=4",
    "--policy.n_action_steps=4",
    "--policy.dim_model=32",
    "--policy.n_heads=2",
    "--policy.dim_feedforward=64",
    "--policy.n_encoder_layers=1",
    "--policy.n_vae_encoder_layers=1",
    "--policy.latent_dim=8",
    "--policy.pretrained_backbone_weights=null",
]


def _children(pid: int) -> set[int]:
    out = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.add(int(stat.parent.name))
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _start(root: Path, out: Path, *extra: str) -> subprocess.Popen:
    command = [
        sys.executable,
        "-m",
        "lr_core.cli",
        "train",
        *SMALL_ACT,
        "--dataset.repo_id=test/synthetic",
        f"--dataset.root={root}",
        "--batch_size=2",
        "--log_freq=1",
        "--progress_bar=false",
        f"--output_dir={out}",
        *extra,
    ]
    return subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, which Ctrl-C signals as a whole
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )


def _wait_for_steps(process: subprocess.Popen, metrics: Path, n: int, guard_s: float = 300):
    deadline = time.monotonic() + guard_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"lr train ended early: {process.communicate()[1][-3000:]}")
        if metrics.is_file() and len(metrics.read_text().splitlines()) >= n:
            return
        time.sleep(0.1)
    raise AssertionError("lr train made no progress")


def _interrupt(process: subprocess.Popen) -> tuple[int, str]:
    os.killpg(process.pid, signal.SIGINT)
    try:
        _, err = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        raise AssertionError("lr train did not end after Ctrl-C") from None
    return process.returncode, err


@pytest.mark.slow
def test_ctrl_c_ends_training_and_its_workers(lerobot_dataset_root, tmp_path):
    out = tmp_path / "run"
    process = _start(lerobot_dataset_root, out, "--steps=100000", "--num_workers=2")
    _wait_for_steps(process, out / "metrics.jsonl", 2)
    workers = _children(process.pid)
    assert len(workers) >= 2, "the data-loader workers should be running"
    code, err = _interrupt(process)
    assert code == 130, err[-3000:]
    assert "interrupted" in err and "Traceback" not in err
    deadline = time.monotonic() + 30  # hang guard: orphans would stay forever
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in workers if _alive(pid)], "data-loader workers outlived lr train"

    # Stopped before its first checkpoint: the same command starts the run again...
    again = _start(lerobot_dataset_root, out, "--steps=2", "--num_workers=0")
    _, err = again.communicate(timeout=600)
    assert again.returncode == 0, err[-3000:]
    assert "starting it again" in err
    assert (out / "checkpoints" / "last").exists()


@pytest.mark.slow
def test_ctrl_c_after_a_checkpoint_resumes_from_it(lerobot_dataset_root, tmp_path):
    out = tmp_path / "run"
    process = _start(
        lerobot_dataset_root, out, "--steps=100000", "--save_freq=2", "--num_workers=1"
    )
    _wait_for_steps(process, out / "metrics.jsonl", 3)
    deadline = time.monotonic() + 120
    while not (out / "checkpoints" / "last").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    code, _ = _interrupt(process)
    assert code == 130
    saved = json.loads((out / "checkpoints/last/training_state/training_step.json").read_text())
    # --resume=true with the run folder alone: the saved config supplies everything else.
    resumed = subprocess.run(
        [
            sys.executable,
            "-m",
            "lr_core.cli",
            "train",
            f"--output_dir={out}",
            "--resume=true",
            f"--steps={saved['step'] + 1}",
            "--progress_bar=false",
            "--num_workers=0",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    steps = json.loads((out / "checkpoints/last/training_state/training_step.json").read_text())
    assert steps["step"] == saved["step"] + 1
