"""Files lr train and lr eval write honour the umask (a checkpoint or report copied to a shared
folder stays readable by others): 0644 files and 0755 folders under umask 022."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from lr_core.config import parse_cli


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def _modes(root: Path) -> dict[str, int]:
    out = {}
    for path in [root, *root.rglob("*")]:
        if path.is_symlink():
            continue
        out[str(path.relative_to(root))] = stat.S_IMODE(path.stat().st_mode)
    return out


def test_checkpoints_and_eval_outputs_get_0644_under_umask_022(
    tiny_policy_registered, tmp_path, umask_022
):
    import lr_test_policy

    from lr_policies.train import TrainConfig, train

    data = lr_test_policy.SyntheticDataset(state_dim=2, image_hw=(16, 16))
    cfg = parse_cli(
        TrainConfig,
        [
            "--policy.type=tiny",
            "--dataset.repo_id=local/synthetic",
            f"--output_dir={tmp_path / 'run'}",
            "--steps=2",
            "--batch_size=2",
            "--num_workers=0",
            "--progress_bar=false",
            "--env.type=reach_test",
            "--env.episode_length=3",
            "--env_eval_freq=2",
            "--eval.n_episodes=1",
            "--eval.max_videos=1",
        ],
    )
    train(cfg, dataset=data)
    modes = _modes(tmp_path / "run")
    files = {name: mode for name, mode in modes.items() if (tmp_path / "run" / name).is_file()}
    assert any(name.endswith("model.safetensors") for name in files)
    assert any(name.endswith("policy_preprocessor.json") for name in files)
    assert any(name.endswith("optimizer_state.safetensors") for name in files)
    assert any(name.endswith("eval_info.json") for name in files)
    assert any(name.endswith(".mp4") for name in files)
    assert {"metrics.jsonl", "loss_curve.png", "train_config.json"} <= set(files)
    wrong = {name: oct(mode) for name, mode in files.items() if mode != 0o644}
    assert not wrong, wrong
    folders = {name: oct(mode) for name, mode in modes.items() if name not in files}
    assert all(mode == oct(0o755) for mode in folders.values()), folders


def test_lr_eval_outputs_get_0644_under_umask_022(tiny_policy_registered, tmp_path, umask_022):
    import torch

    from lr_core.cli import main
    from lr_core.policy import PolicyConfig
    from lr_policies.pretrained import make_policy
    from lr_policies.processors import make_pre_post_processors, save_pre_post_processors

    features = {
        "observation.state": {"dtype": "float32", "shape": [2], "names": None},
        "observation.images.front": {"dtype": "image", "shape": [16, 16, 3], "names": None},
        "action": {"dtype": "float32", "shape": [2], "names": None},
    }
    stats = {
        "observation.state": {"mean": [0.0, 0.0], "std": [1.0, 1.0]},
        "observation.images.front": {"mean": [0.0] * 3, "std": [1.0] * 3},
        "action": {"mean": [0.0, 0.0], "std": [1.0, 1.0]},
    }
    config = PolicyConfig.from_dict({"type": "tiny", "chunk_size": 1, "n_action_steps": 1})
    torch.manual_seed(0)
    policy = make_policy(config, features)
    policy.save_pretrained(tmp_path / "p")
    save_pre_post_processors(
        make_pre_post_processors(policy.config, dataset_stats=stats), tmp_path / "p"
    )
    out = tmp_path / "eval"
    args = ["eval", f"--policy.path={tmp_path / 'p'}", "--env.type=reach_test"]
    args += ["--eval.n_episodes=1", "--env.episode_length=3", f"--output_dir={out}"]
    assert main(args) == 0
    modes = _modes(out)
    files = {name: mode for name, mode in modes.items() if (out / name).is_file()}
    assert {"eval_info.json", "eval_config.json", "videos/eval_episode_0.mp4"} <= set(files)
    assert all(mode == 0o644 for mode in files.values()), {k: oct(v) for k, v in files.items()}
    for name in ("config.json", "model.safetensors", "policy_preprocessor.json"):
        assert stat.S_IMODE((tmp_path / "p" / name).stat().st_mode) == 0o644
