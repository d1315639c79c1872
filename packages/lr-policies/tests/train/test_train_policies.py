"""ACT and Diffusion Policy (small configs) train, checkpoint and resume exactly."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from lr_core.config import parse_cli
from lr_policies.pretrained import PreTrainedPolicy
from lr_policies.processors import load_pre_post_processors
from lr_policies.train import TrainConfig, read_metrics, resolve_delta_timestamps, train

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
        "--policy.scheduler_warmup_steps=2",
    ],
}


def config(kind: str, out: Path, *extra: str) -> TrainConfig:
    return parse_cli(
        TrainConfig,
        [
            f"--policy.type={kind}",
            *SMALL[kind],
            "--dataset.repo_id=local/synthetic",
            f"--output_dir={out}",
            "--batch_size=2",
            "--num_workers=0",
            "--log_freq=1",
            "--progress_bar=false",
            *extra,
        ],
    )


def dataset_for(cfg: TrainConfig):
    import lr_test_policy

    fps = 10
    delta = resolve_delta_timestamps(
        cfg.policy, ["observation.state", "observation.images.front", "action"], fps
    )
    obs = delta.get("observation.state") if delta else None
    return lr_test_policy.SyntheticDataset(
        n_episodes=2,
        length=16,
        obs_deltas=None if obs is None else [round(t * fps) for t in obs],
        action_deltas=[round(t * fps) for t in delta["action"]],
    )


def test_delta_timestamps_follow_the_policy_config(tiny_policy_registered, tmp_path):
    act = config("act", tmp_path).policy
    keys = ["observation.state", "observation.images.front", "action", "next.reward", "index"]
    assert resolve_delta_timestamps(act, keys, 10) == {"action": [0.0, 0.1, 0.2, 0.3]}
    diffusion = config("diffusion", tmp_path).policy
    delta = resolve_delta_timestamps(diffusion, keys, 10)
    assert delta["observation.state"] == delta["observation.images.front"] == [-0.1, 0.0]
    assert [round(t * 10) for t in delta["action"]] == list(range(-1, 7))
    assert set(delta) == {"observation.state", "observation.images.front", "action"}


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["act", "diffusion"])
def test_policy_trains_checkpoints_and_resumes_bitwise(kind, tiny_policy_registered, tmp_path):
    extra = ["--steps=4", "--save_freq=2"]
    cfg = config(kind, tmp_path / "straight", *extra)
    data = dataset_for(cfg)
    straight = train(cfg, dataset=data)
    train(config(kind, tmp_path / "split", *extra), dataset=data, stop_after_steps=2)
    resumed = train(config(kind, tmp_path / "split", *extra, "--resume=true"), dataset=data)
    assert straight.name == resumed.name == "000004"
    for rel in ("pretrained_model/model.safetensors", "training_state/optimizer_state.safetensors"):
        a, b = load_file(straight / rel), load_file(resumed / rel)
        assert a.keys() == b.keys()
        for key in a:
            assert torch.equal(a[key], b[key]), (rel, key)
    losses = [r["loss"] for r in read_metrics(tmp_path / "straight")]
    assert losses == [r["loss"] for r in read_metrics(tmp_path / "split")]
    assert all(torch.isfinite(torch.tensor(losses)))

    # The checkpoint serves: processors + policy give finite actions in dataset units.
    policy = PreTrainedPolicy.from_pretrained(resumed / "pretrained_model")
    assert policy.config.type == kind
    pre, post = load_pre_post_processors(resumed / "pretrained_model")
    policy.reset()
    item = data[10]
    obs = {
        k: (v[-1] if kind == "diffusion" else v)
        for k, v in item.items()
        if k.startswith("observation") and not k.endswith("_is_pad")
    }
    action = post(policy.select_action(pre(obs)))
    assert action.shape == (1, 2) and torch.isfinite(action).all()
