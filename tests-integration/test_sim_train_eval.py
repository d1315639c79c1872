"""The learning loop across packages: record expert demos in lr-sim, train ACT with `lr train`
on them, evaluate the checkpoint with `lr eval` in the same simulated env."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from lr_core import registry


@pytest.mark.slow
def test_sim_record_train_eval(tmp_path):
    if "so101" not in registry.names("lr.envs") or "sim" not in registry.names("lr.commands"):
        pytest.skip("lr-sim's so101 env is not installed")
    environ = {**os.environ, "MUJOCO_GL": "egl"}

    def main(args: list[str]) -> int:
        # One process per command, as a user runs them (and as MuJoCo's EGL context and
        # torch's triton import do not share a process well).
        command = [sys.executable, "-m", "lr_core.cli", *args]
        result = subprocess.run(command, env=environ, capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, result.stderr[-4000:]
        return result.returncode

    env = [
        "--env.type=so101",
        "--env.task=reach",
        '--env.cameras=["front"]',
        "--env.image_height=48",
        "--env.image_width=64",
    ]
    data = tmp_path / "reach"
    record = ["sim", "record", *env, "--env.episode_length=60", "--episodes=2"]
    assert main([*record, "--dataset.repo_id=test/reach", f"--dataset.root={data}"]) == 0
    train = [
        "train",
        "--policy.type=act",
        "--policy.chunk_size=10",
        "--policy.n_action_steps=10",
        "--policy.dim_model=32",
        "--policy.n_heads=2",
        "--policy.dim_feedforward=64",
        "--policy.n_encoder_layers=1",
        "--policy.n_vae_encoder_layers=1",
        "--policy.pretrained_backbone_weights=null",
        "--dataset.repo_id=test/reach",
        f"--dataset.root={data}",
        "--steps=3",
        "--batch_size=4",
        "--num_workers=0",
        f"--output_dir={tmp_path / 'run'}",
        "--progress_bar=false",
    ]
    assert main(train) == 0
    evaluate = [
        "eval",
        f"--policy.path={tmp_path / 'run/checkpoints/last/pretrained_model'}",
        *env,
        "--env.episode_length=12",
        "--eval.n_episodes=2",
        "--eval.batch_size=2",
        f"--output_dir={tmp_path / 'eval'}",
    ]
    assert main(evaluate) == 0
    report = json.loads((tmp_path / "eval/eval_info.json").read_text())
    assert report["aggregated"]["n_episodes"] == 2
    assert all((tmp_path / "eval" / e["video"]).is_file() for e in report["per_episode"])
