"""`lr train` end to end on a dataset recorded with lr-dataset (videos decoded by the reader)."""

from __future__ import annotations

import json

import pytest
import torch
from safetensors.torch import load_file

from lr_core.cli import main
from lr_policies.pretrained import PreTrainedPolicy
from lr_policies.train import read_metrics

SMALL = {
    "act": [
        "--policy.chunk_size=4",
        "--policy.n_action_steps=4",
        "--policy.dim_model=32",
        "--policy.n_heads=2",
        "--policy.dim_feedforward=64",
        "--policy.n_encoder_layers=1",
        "--policy.n_vae_encoder_layers=1",
        "--policy.latent_dim=8",
        "--policy.pretrained_backbone_weights=null",
    ],
    "diffusion": [
        "--policy.horizon=8",
        "--policy.n_action_steps=4",
        "--policy.down_dims=[16, 32]",
        "--policy.kernel_size=3",
        "--policy.n_groups=4",
        "--policy.diffusion_step_embed_dim=16",
        "--policy.spatial_softmax_num_keypoints=4",
        "--policy.num_train_timesteps=10",
        "--policy.pretrained_backbone_weights=null",
        "--policy.use_group_norm=true",
    ],
}


def _args(kind: str, root, out, *extra: str) -> list[str]:
    return [
        "train",
        f"--policy.type={kind}",
        *SMALL[kind],
        "--dataset.repo_id=test/synthetic",
        f"--dataset.root={root}",
        "--steps=3",
        "--batch_size=2",
        "--num_workers=0",
        "--log_freq=1",
        "--save_freq=2",
        f"--output_dir={out}",
        "--progress_bar=false",
        *extra,
    ]


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["act", "diffusion"])
def test_lr_train_stop_and_resume_equals_one_run_bitwise(kind, lerobot_dataset_root, tmp_path):
    """ACT samples its VAE latent and dropout, Diffusion its noise and timesteps: every piece
    of state (weights, optimizer, schedule, RNG, data order) has to come back for equality."""
    assert main(_args(kind, lerobot_dataset_root, tmp_path / "straight")) == 0
    out = tmp_path / "split"
    assert main([*_args(kind, lerobot_dataset_root, out), "--stop_after_steps=2"]) == 0
    saved = out / "checkpoints/000002/pretrained_model/train_config.json"
    config = json.loads(saved.read_text())
    assert config["dataset"]["root"] == str(lerobot_dataset_root)
    assert config["policy"]["input_features"]["observation.images.front"]["shape"] == [3, 24, 32]
    # ImageNet stats replace the camera's (LeRobot's default) inside the saved normaliser.
    stats = load_file(
        out / "checkpoints/000002/pretrained_model/"
        "policy_preprocessor_step_3_normalizer_processor.safetensors"
    )
    assert torch.allclose(
        stats["observation.images.front.mean"].flatten(), torch.tensor([0.485, 0.456, 0.406])
    )

    assert main(["train", f"--config_path={saved}", "--resume=true"]) == 0
    assert [r["step"] for r in read_metrics(out)] == [1, 2, 3]
    losses = [r["loss"] for r in read_metrics(tmp_path / "straight")]
    assert losses == [r["loss"] for r in read_metrics(out)]
    for rel in ("pretrained_model/model.safetensors", "training_state/optimizer_state.safetensors"):
        a = load_file(tmp_path / "straight/checkpoints/000003" / rel)
        b = load_file(out / "checkpoints/000003" / rel)
        assert a.keys() == b.keys()
        for key in a:
            assert torch.equal(a[key], b[key]), (rel, key)
    policy = PreTrainedPolicy.from_pretrained(out / "checkpoints/last/pretrained_model")
    assert policy.config.type == kind


def test_lr_train_reports_bad_flags(capsys):
    assert main(["train", "--policy.type=act", "--dataset.repo_id=a/b", "--stepz=3"]) == 1
    assert "stepz" in capsys.readouterr().err
    assert main(["train", "--policy.type=nope", "--dataset.repo_id=a/b"]) == 1
    assert "nope" in capsys.readouterr().err


@pytest.mark.slow
def test_fine_tuning_starts_from_pretrained_weights(lerobot_dataset_root, tmp_path):
    common = [
        "train",
        "--policy.type=act",
        *SMALL["act"],
        "--dataset.repo_id=test/synthetic",
        f"--dataset.root={lerobot_dataset_root}",
        "--batch_size=2",
        "--num_workers=0",
        "--progress_bar=false",
    ]
    assert main([*common, "--steps=1", f"--output_dir={tmp_path / 'a'}"]) == 0
    base = tmp_path / "a/checkpoints/last/pretrained_model"
    # With a zero learning rate, the fine-tuned weights are exactly the pretrained ones.
    tuned = [
        "--steps=1",
        f"--output_dir={tmp_path / 'b'}",
        f"--policy.pretrained_path={base}",
        "--optimizer.lr=0",
        "--policy.optimizer_lr_backbone=0",
    ]
    assert main([*common, *tuned]) == 0
    a = load_file(base / "model.safetensors")
    b = load_file(tmp_path / "b/checkpoints/last/pretrained_model/model.safetensors")
    assert all(torch.equal(a[k], b[k]) for k in a)


@pytest.mark.slow
def test_training_with_lerobots_augmentation_in_workers(lerobot_dataset_root, tmp_path):
    out = tmp_path / "aug"
    args = _args("act", lerobot_dataset_root, out, "--num_workers=1")
    args += [
        "--dataset.image_transforms.enable=true",
        "--dataset.image_transforms.max_num_transforms=2",
        "--dataset.episodes=0-1",
        "--cudnn_deterministic=true",
        "--tolerance_s=0.001",
    ]
    assert main(args) == 0
    saved = json.loads((out / "train_config.json").read_text())
    assert saved["dataset"]["image_transforms"]["enable"] is True
    assert saved["dataset"]["episodes"] == [0, 1]
    assert [r["step"] for r in read_metrics(out)] == [1, 2, 3]


def test_policy_path_fine_tunes_a_saved_policy_as_lerobot(lerobot_dataset_root, tmp_path):
    """``--policy.path`` takes the saved config (other --policy.* flags override it) and weights."""
    data = [f"--dataset.root={lerobot_dataset_root}", "--dataset.repo_id=test/synthetic"]
    common = ["--batch_size=2", "--num_workers=0", "--progress_bar=false", "--steps=1", *data]
    first = ["train", "--policy.type=act", *SMALL["act"], *common, f"--output_dir={tmp_path / 'a'}"]
    assert main(first) == 0
    base = tmp_path / "a/checkpoints/last/pretrained_model"
    tuned = [
        "train",
        f"--policy.path={base}",
        "--policy.optimizer_lr_backbone=0",
        "--optimizer.lr=0",
        *common,
        f"--output_dir={tmp_path / 'b'}",
    ]
    assert main(tuned) == 0
    out = tmp_path / "b/checkpoints/last/pretrained_model"
    a, b = load_file(base / "model.safetensors"), load_file(out / "model.safetensors")
    assert all(torch.equal(a[k], b[k]) for k in a)
    saved = json.loads((base / "config.json").read_text())
    tuned_config = json.loads((out / "config.json").read_text())
    assert tuned_config["pretrained_path"] == str(base)
    assert tuned_config["optimizer_lr_backbone"] == 0
    assert tuned_config["dim_model"] == saved["dim_model"] == 32  # from the saved config
