"""LeRobot 0.6.1 loads a checkpoint written by `lr train` (policy and processors) and predicts
the same actions."""

from __future__ import annotations

import os
import subprocess
import textwrap

import pytest
import torch
from safetensors.torch import load_file, save_file

from lr_core.cli import main
from lr_policies.pretrained import PreTrainedPolicy
from lr_policies.processors import load_pre_post_processors

SMALL_ACT = [
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


@pytest.mark.peer
def test_lerobot_loads_an_lr_train_checkpoint(lerobot_dataset_root, tmp_path, peer_python_061):
    args = [
        "train",
        "--policy.type=act",
        *SMALL_ACT,
        "--dataset.repo_id=test/synthetic",
        f"--dataset.root={lerobot_dataset_root}",
        "--steps=2",
        "--batch_size=2",
        "--num_workers=0",
        f"--output_dir={tmp_path / 'run'}",
        "--progress_bar=false",
    ]
    assert main(args) == 0
    ckpt = tmp_path / "run/checkpoints/last/pretrained_model"
    g = torch.Generator().manual_seed(0)
    inputs = {
        "observation.state": torch.randn(3, generator=g),
        "observation.images.front": torch.rand(3, 24, 32, generator=g),
    }
    save_file(inputs, tmp_path / "inputs.safetensors")
    policy = PreTrainedPolicy.from_pretrained(ckpt)
    pre, post = load_pre_post_processors(ckpt)
    with torch.inference_mode():
        ours = post(policy.predict_action_chunk(pre(dict(inputs))))
    code = textwrap.dedent(
        f"""
        import torch
        from safetensors.torch import load_file, save_file
        from lerobot.policies.act.modeling_act import ACTPolicy
        from lerobot.policies.factory import make_pre_post_processors
        policy = ACTPolicy.from_pretrained({str(ckpt)!r})
        pre, post = make_pre_post_processors(policy.config, pretrained_path={str(ckpt)!r})
        batch = pre(load_file({str(tmp_path / "inputs.safetensors")!r}))
        with torch.inference_mode():
            chunk = post(policy.predict_action_chunk(batch))
        save_file({{"chunk": chunk.contiguous()}}, {str(tmp_path / "theirs.safetensors")!r})
        """
    )
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    result = subprocess.run(
        [peer_python_061, "-c", code], capture_output=True, text=True, env=env, timeout=600
    )
    assert result.returncode == 0, result.stderr[-4000:]
    theirs = load_file(tmp_path / "theirs.safetensors")["chunk"]
    assert theirs.shape == ours.shape == (1, 4, 2)
    assert (theirs - ours).abs().max().item() <= 1e-5
