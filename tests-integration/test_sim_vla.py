"""A tiny SmolVLA learns from lr-sim demonstrations: `lr sim record`, `lr train --policy.type=
smolvla` (a few hundred steps, a small SmolVLM and tokenizer built locally), the loss falls,
`--policy.path` fine-tunes the checkpoint, and `lr eval` runs it end to end (no success target
at this size)."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lr_core import registry

ASSETS = Path(__file__).resolve().parents[1] / "packages/lr-policies/tests/vla/assets.py"


def _assets():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("vla_assets_it", ASSETS)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_tiny_smolvla_trains_and_evaluates(tmp_path):
    if "so101" not in registry.names("lr.envs") or "sim" not in registry.names("lr.commands"):
        pytest.skip("lr-sim's so101 env is not installed")
    pytest.importorskip("transformers")
    vlm = _assets().make_smolvlm(tmp_path / "smolvlm")
    environ = {**os.environ, "MUJOCO_GL": "egl", "OMP_NUM_THREADS": "1"}

    def run(args: list[str]) -> None:
        command = [sys.executable, "-m", "lr_core.cli", *args]
        result = subprocess.run(command, env=environ, capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, result.stderr[-4000:]

    env = [
        "--env.type=so101",
        "--env.task=reach",
        '--env.cameras=["front"]',
        "--env.image_height=32",
        "--env.image_width=32",
    ]
    data = tmp_path / "reach"
    run(
        [
            "sim",
            "record",
            *env,
            "--env.episode_length=40",
            "--episodes=2",
            "--dataset.repo_id=test/reach",
            f"--dataset.root={data}",
        ]
    )
    common = [
        "--dataset.repo_id=test/reach",
        f"--dataset.root={data}",
        "--batch_size=8",
        "--num_workers=0",
        "--progress_bar=false",
        "--seed=3",
    ]
    policy = [
        "--policy.type=smolvla",
        f"--policy.vlm_model_name={vlm}",
        "--policy.resize_imgs_with_padding=[32, 32]",
        "--policy.num_vlm_layers=4",
        "--policy.chunk_size=8",
        "--policy.n_action_steps=8",
        "--policy.num_steps=4",
        "--policy.scheduler_warmup_steps=10",
        "--policy.optimizer_lr=1e-3",
    ]
    run(
        [
            "train",
            *policy,
            *common,
            "--steps=300",
            "--log_freq=25",
            f"--output_dir={tmp_path / 'run'}",
        ]
    )
    metrics = [
        json.loads(line) for line in (tmp_path / "run/metrics.jsonl").read_text().splitlines()
    ]
    losses = [m["loss"] for m in metrics if "loss" in m]
    assert len(losses) >= 10
    assert sum(losses[-3:]) / 3 < 0.6 * sum(losses[:2]) / 2, losses
    checkpoint = tmp_path / "run/checkpoints/last/pretrained_model"
    # Fine-tune the checkpoint (LeRobot's --policy.path) with the whole VLM trainable.
    run(
        [
            "train",
            f"--policy.path={checkpoint}",
            "--policy.train_expert_only=false",
            *common,
            "--steps=2",
            f"--output_dir={tmp_path / 'tuned'}",
        ]
    )
    tuned = json.loads(
        (tmp_path / "tuned/checkpoints/last/pretrained_model/config.json").read_text()
    )
    assert tuned["train_expert_only"] is False and tuned["pretrained_path"] == str(checkpoint)
    run(
        [
            "eval",
            f"--policy.path={checkpoint}",
            *env,
            "--env.episode_length=10",
            "--eval.n_episodes=2",
            "--eval.batch_size=2",
            f"--output_dir={tmp_path / 'eval'}",
        ]
    )
    report = json.loads((tmp_path / "eval/eval_info.json").read_text())
    assert report["aggregated"]["n_episodes"] == 2
    assert all(e["length"] == 10 for e in report["per_episode"])
