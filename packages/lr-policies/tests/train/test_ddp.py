"""DDP: two CPU processes (gloo) launched by torchrun; their averaged update equals one process
training on the union of their batches."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from safetensors.torch import load_file


def _env(site: Path) -> dict[str, str]:
    plugin = Path(__file__).parents[1] / "plugin"
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(site), str(plugin), env.get("PYTHONPATH", "")])
    env["OMP_NUM_THREADS"] = "1"
    return env


@pytest.mark.slow
def test_torchrun_on_a_recorded_dataset_matches_one_process_on_both_shards(
    tiny_plugin_site, lerobot_dataset_root, tmp_path
):
    """`torchrun -m lr_policies.train` with 2 CPU processes x batch 2: rank r draws every
    second index of the epoch order, so the pair of batches is one process's batch of 4;
    with gradients averaged the weights match that process's up to summation order."""
    common = [
        "--policy.type=tiny",
        "--policy.dropout=0.0",
        "--dataset.repo_id=test/synthetic",
        f"--dataset.root={lerobot_dataset_root}",
        "--steps=3",
        "--num_workers=0",
        "--log_freq=1",
        "--progress_bar=false",
        "--optimizer.type=sgd",
        "--optimizer.lr=0.5",
    ]
    ddp, single = tmp_path / "ddp", tmp_path / "single"
    launch = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2"]
    result = subprocess.run(
        [*launch, "-m", "lr_policies.train", *common, "--batch_size=2", f"--output_dir={ddp}"],
        capture_output=True,
        text=True,
        env=_env(tiny_plugin_site),
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    step = json.loads((ddp / "checkpoints/last/training_state/training_step.json").read_text())
    assert step == {"step": 3, "num_processes": 2, "batch_size": 2}
    records = [json.loads(x) for x in (ddp / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in records] == [1, 2, 3] and records[-1]["samples"] == 12

    from lr_core.cli import main

    assert main(["train", *common, "--batch_size=4", f"--output_dir={single}"]) == 0
    a = load_file(ddp / "checkpoints/last/pretrained_model/model.safetensors")
    b = load_file(single / "checkpoints/last/pretrained_model/model.safetensors")
    assert a.keys() == b.keys()
    assert max((a[k] - b[k]).abs().max().item() for k in a) < 1e-5
    losses = [r["loss"] for r in records]
    assert losses[-1] < losses[0]  # the weights did move


@pytest.mark.slow
def test_torchrun_streaming_shards_per_rank_and_resumes_exactly(
    tiny_plugin_site, lerobot_dataset_root, tmp_path
):
    """`--dataset.streaming=true` under torchrun: each rank streams its own share (one state
    file for both), and stop + resume gives the weights of one uninterrupted run."""
    common = [
        "--policy.type=tiny",
        "--dataset.repo_id=test/synthetic",
        f"--dataset.root={lerobot_dataset_root}",
        "--dataset.streaming=true",
        "--dataset.episode_pool_size=1",
        "--steps=4",
        "--save_freq=2",
        "--batch_size=3",
        "--num_workers=0",
        "--log_freq=1",
        "--progress_bar=false",
    ]
    launch = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2"]

    def run(out: Path, *extra: str) -> None:
        result = subprocess.run(
            [*launch, "-m", "lr_policies.train", *common, f"--output_dir={out}", *extra],
            capture_output=True,
            text=True,
            env=_env(tiny_plugin_site),
            timeout=300,
        )
        assert result.returncode == 0, result.stderr[-4000:]

    run(tmp_path / "straight")
    run(tmp_path / "split", "--stop_after_steps=2")
    state = json.loads(
        (tmp_path / "split/checkpoints/000002/training_state/dataset_state.json").read_text()
    )
    assert state["world_size"] == 2 and state["batches_consumed"] == 2
    run(tmp_path / "split", "--resume=true")
    a = load_file(tmp_path / "straight/checkpoints/last/pretrained_model/model.safetensors")
    b = load_file(tmp_path / "split/checkpoints/last/pretrained_model/model.safetensors")
    assert a.keys() == b.keys() and all(torch_equal(a[k], b[k]) for k in a)


def torch_equal(x, y) -> bool:
    import torch

    return bool(torch.equal(x, y))
