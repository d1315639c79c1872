"""`lr train --dataset.streaming=true`: trains from a StreamingLeRobotDataset (a local folder or
an HTTP URL) and resumes exactly - with 0 and 2 DataLoader workers and an odd step count, the
weights after stop + resume equal one uninterrupted run's bitwise."""

from __future__ import annotations

import json

import pytest
import torch
from safetensors.torch import load_file

from lr_core.cli import main
from lr_core.config import parse_cli
from lr_core.errors import ConfigError
from lr_policies.train import TrainConfig, read_metrics
from lr_policies.train.data import make_dataset

ACT = [
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


def args(root, out, *extra: str) -> list[str]:
    return [
        "train",
        *ACT,
        "--dataset.repo_id=test/synthetic",
        f"--dataset.root={root}",
        "--dataset.streaming=true",
        "--dataset.episode_pool_size=2",
        "--steps=5",
        "--batch_size=3",
        "--log_freq=1",
        "--save_freq=3",
        f"--output_dir={out}",
        "--progress_bar=false",
        *extra,
    ]


def same_weights(a, b) -> None:
    for rel in ("pretrained_model/model.safetensors", "training_state/optimizer_state.safetensors"):
        x, y = load_file(a / rel), load_file(b / rel)
        assert x.keys() == y.keys()
        for key in x:
            assert torch.equal(x[key], y[key]), (rel, key)


@pytest.mark.slow
@pytest.mark.parametrize("num_workers", [0, 2])
def test_streaming_training_resumes_exactly(num_workers, lerobot_dataset_root, tmp_path):
    workers = f"--num_workers={num_workers}"
    assert main(args(lerobot_dataset_root, tmp_path / "straight", workers)) == 0
    out = tmp_path / "split"
    assert main([*args(lerobot_dataset_root, out, workers), "--stop_after_steps=3"]) == 0
    state = json.loads((out / "checkpoints/000003/training_state/dataset_state.json").read_text())
    assert state["batches_consumed"] == 3 and state["num_workers"] == num_workers
    saved = out / "checkpoints/000003/pretrained_model/train_config.json"
    assert json.loads(saved.read_text())["dataset"]["streaming"] is True
    assert main(["train", f"--config_path={saved}", "--resume=true"]) == 0
    straight = [r["loss"] for r in read_metrics(tmp_path / "straight")]
    assert straight == [r["loss"] for r in read_metrics(out)]
    same_weights(tmp_path / "straight/checkpoints/000005", out / "checkpoints/000005")


@pytest.mark.slow
def test_streaming_training_from_a_url(lerobot_dataset_root, tmp_path, monkeypatch):
    from lr_dataset.streaming.loopback import LoopbackServer

    monkeypatch.setenv("HF_LEROBOT_HOME", str(tmp_path / "home"))
    with LoopbackServer(lerobot_dataset_root.parent) as server:
        url = f"{server.url}/{lerobot_dataset_root.name}"
        assert main(args(url, tmp_path / "http", "--num_workers=0", "--steps=3")) == 0
    assert main(args(lerobot_dataset_root, tmp_path / "local", "--num_workers=0", "--steps=3")) == 0
    same_weights(tmp_path / "http/checkpoints/000003", tmp_path / "local/checkpoints/000003")


def test_resuming_with_other_workers_is_refused(lerobot_dataset_root, tmp_path):
    out = tmp_path / "run"
    base = args(lerobot_dataset_root, out, "--num_workers=0", "--steps=2", "--save_freq=1")
    assert main([*base, "--stop_after_steps=1"]) == 0
    cfg = parse_cli(TrainConfig, [*base[1:], "--resume=true", "--num_workers=2"])
    from lr_policies.train import train

    with pytest.raises(ConfigError, match="num_workers=0; resume a streaming run"):
        train(cfg)


def test_make_dataset_streams_with_the_policy_windows(lerobot_dataset_root):
    cfg = parse_cli(TrainConfig, args(lerobot_dataset_root, "/tmp/unused")[1:])
    ds = make_dataset(cfg.dataset, cfg.policy, seed=4)
    assert isinstance(ds, torch.utils.data.IterableDataset)
    assert ds.repeat and ds.seed == 4 and ds.episode_pool_size == 2
    assert ds.delta_timestamps == {"action": [0.0, 0.1, 0.2, 0.3]}
