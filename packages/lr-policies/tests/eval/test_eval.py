"""`lr eval` in a real gymnasium env (registered through ``lr.envs``): success rates of a
perfect and a useless policy, returns, seeding, MP4 videos, Wilson intervals."""

from __future__ import annotations

import json
from pathlib import Path

import av
import pytest
import torch

from lr_core.cli import main
from lr_core.policy import PolicyConfig
from lr_policies.eval import load_report, wilson_interval
from lr_policies.pretrained import make_policy
from lr_policies.processors import make_pre_post_processors, save_pre_post_processors

FEATURES = {
    "observation.state": {"dtype": "float32", "shape": [2], "names": None},
    "observation.images.front": {
        "dtype": "image",
        "shape": [16, 16, 3],
        "names": ["height", "width", "channels"],
    },
    "action": {"dtype": "float32", "shape": [2], "names": None},
}
UNIT_STATS = {
    "observation.state": {"mean": [0.0, 0.0], "std": [1.0, 1.0]},
    "observation.images.front": {"mean": [0.0] * 3, "std": [1.0] * 3},
    "action": {"mean": [0.0, 0.0], "std": [1.0, 1.0]},
}


def save_policy(path: Path, *, perfect: bool) -> Path:
    """A tiny MLP whose weights compute action = -2 * state (perfect) or 0 (useless)."""
    cfg = PolicyConfig.from_dict(
        {"type": "tiny", "hidden": 4, "dropout": 0.0, "chunk_size": 1, "n_action_steps": 1}
    )
    policy = make_policy(cfg, FEATURES)
    with torch.no_grad():
        for p in policy.parameters():
            p.zero_()
        if perfect:
            first, last = policy.net[0], policy.net[3]
            first.weight[:, :2] = torch.tensor([[1.0, 0], [-1, 0], [0, 1], [0, -1]])
            last.weight[:] = torch.tensor([[-2.0, 2, 0, 0], [0, 0, -2, 2]])
    policy.save_pretrained(path)
    save_pre_post_processors(
        make_pre_post_processors(policy.config, dataset_stats=UNIT_STATS), path
    )
    return path


def run_eval(policy: Path, out: Path, *extra: str) -> dict:
    args = [
        "eval",
        f"--policy.path={policy}",
        "--env.type=reach_test",
        "--eval.n_episodes=5",
        "--eval.batch_size=2",
        f"--output_dir={out}",
        *extra,
    ]
    assert main(args) == 0
    return load_report(out)


def test_perfect_and_useless_policies(tiny_policy_registered, tmp_path, capsys):
    good = run_eval(save_policy(tmp_path / "good", perfect=True), tmp_path / "eval_good")
    assert "5/5 successes = 100.0%" in capsys.readouterr().out
    agg = good["aggregated"]
    assert agg["n_episodes"] == 5 and agg["pc_success"] == 100.0
    low, high = wilson_interval(5, 5)
    assert agg["pc_success_ci95"] == pytest.approx([100 * low, 100 * high])
    episodes = good["per_episode"]
    assert [e["seed"] for e in episodes] == [1000, 1001, 1002, 1003, 1004]
    assert all(e["success"] and 1 <= e["length"] <= 2 for e in episodes)
    assert all(e["sum_reward"] <= 0 for e in episodes)

    bad = run_eval(save_policy(tmp_path / "bad", perfect=False), tmp_path / "eval_bad")
    assert bad["aggregated"]["pc_success"] == 0.0
    assert all(e["length"] == 20 for e in bad["per_episode"])  # truncated by the time limit
    assert bad["aggregated"]["avg_sum_reward"] < good["aggregated"]["avg_sum_reward"]
    # The same seeds give the same episodes (the useless policy never moves the point).
    again = run_eval(tmp_path / "bad", tmp_path / "eval_bad_again", "--eval.batch_size=3")
    assert [e["sum_reward"] for e in again["per_episode"]] == pytest.approx(
        [e["sum_reward"] for e in bad["per_episode"]]
    )


def test_videos_are_real_mp4s(tiny_policy_registered, tmp_path):
    policy = save_policy(tmp_path / "bad", perfect=False)
    report = run_eval(
        policy, tmp_path / "eval", "--eval.max_videos=3", "--eval.use_async_envs=true"
    )
    videos = [e["video"] for e in report["per_episode"]]
    assert videos[:3] == [f"videos/eval_episode_{i}.mp4" for i in range(3)] and videos[3:] == [
        None,
        None,
    ]
    with av.open(str(tmp_path / "eval" / videos[0])) as container:
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    assert len(frames) == 21  # the reset frame and one per step
    assert frames[0].shape == (16, 16, 3)
    saved = json.loads((tmp_path / "eval" / "eval_config.json").read_text())
    assert saved["env"]["type"] == "reach_test"


def test_wilson_interval():
    assert wilson_interval(0, 0) == (0.0, 1.0)
    low, high = wilson_interval(8, 10)
    assert low == pytest.approx(0.4902, abs=1e-4) and high == pytest.approx(0.9433, abs=1e-4)
    low, high = wilson_interval(0, 20)
    assert low == 0.0 and high == pytest.approx(0.1611, abs=1e-4)


def test_unknown_env_type_is_a_clear_error(tiny_policy_registered, tmp_path, capsys):
    policy = save_policy(tmp_path / "p", perfect=True)
    assert main(["eval", f"--policy.path={policy}", "--env.type=nowhere"]) == 1
    assert "nowhere" in capsys.readouterr().err


SMALL = {
    "act": {
        "chunk_size": 4,
        "n_action_steps": 2,
        "dim_model": 32,
        "n_heads": 2,
        "dim_feedforward": 64,
        "n_encoder_layers": 1,
        "n_vae_encoder_layers": 1,
        "latent_dim": 8,
        "pretrained_backbone_weights": None,
    },
    "diffusion": {
        "horizon": 8,
        "n_action_steps": 4,
        "down_dims": [16, 32],
        "kernel_size": 3,
        "n_groups": 4,
        "diffusion_step_embed_dim": 16,
        "spatial_softmax_num_keypoints": 4,
        "num_train_timesteps": 5,
        "pretrained_backbone_weights": None,
        "use_group_norm": True,
    },
}


@pytest.mark.parametrize("kind", ["act", "diffusion"])
def test_act_and_diffusion_run_in_vector_envs(kind, tiny_policy_registered, tmp_path):
    torch.manual_seed(0)
    cfg = PolicyConfig.from_dict({"type": kind, **SMALL[kind]})
    policy = make_policy(cfg, FEATURES)
    stats = {
        **UNIT_STATS,
        "observation.state": {**UNIT_STATS["observation.state"], "min": [-1, -1], "max": [1, 1]},
        "action": {**UNIT_STATS["action"], "min": [-1, -1], "max": [1, 1]},
    }
    policy.save_pretrained(tmp_path / kind)
    save_pre_post_processors(
        make_pre_post_processors(policy.config, dataset_stats=stats), tmp_path / kind
    )
    report = run_eval(tmp_path / kind, tmp_path / "eval", "--env.episode_length=6")
    episodes = report["per_episode"]
    assert len(episodes) == 5 and all(1 <= e["length"] <= 6 for e in episodes)
    assert all(isinstance(e["sum_reward"], float) for e in episodes)
    assert 0.0 <= report["aggregated"]["pc_success"] <= 100.0


def _eval_args(policy: Path, out: Path, *extra: str) -> list[str]:
    return [
        "eval",
        f"--policy.path={policy}",
        "--env.type=reach_test",
        "--eval.n_episodes=1",
        f"--output_dir={out}",
        *extra,
    ]


def test_inputs_the_env_does_not_give_are_listed_before_any_step(
    tiny_policy_registered, tmp_path, capsys
):
    policy = save_policy(tmp_path / "p", perfect=True)
    renamed = '--rename_map={"observation.images.front": "observation.images.other"}'
    assert main(_eval_args(policy, tmp_path / "e", renamed)) == 1
    err = capsys.readouterr().err
    assert "observation.images.front: the policy needs 16x16 uint8 images" in err
    assert "the env gives: " in err and "observation.state (2,) float32" in err
    assert "--rename_map" in err and "Traceback" not in err
    assert not (tmp_path / "e" / "eval_info.json").exists()

    # Sizes the user chose explicitly are not overridden: refused with the difference.
    sized = ["--env.image_height=32", "--env.image_width=24"]
    assert main(_eval_args(policy, tmp_path / "e", *sized)) == 1
    err = capsys.readouterr().err
    assert "trained on 16x16 images; the env gives (32, 24, 3) uint8" in err


def test_the_env_is_adapted_to_the_checkpoint_and_says_so(tiny_policy_registered, tmp_path, capsys):
    # A checkpoint trained on one 24x20 'top' camera; the env's default is 'front' at 16x16.
    features = {
        "observation.state": FEATURES["observation.state"],
        "observation.images.top": {**FEATURES["observation.images.front"], "shape": [24, 20, 3]},
        "action": FEATURES["action"],
    }
    cfg = PolicyConfig.from_dict(
        {"type": "tiny", "hidden": 4, "chunk_size": 1, "n_action_steps": 1}
    )
    policy = make_policy(cfg, features)
    policy.save_pretrained(tmp_path / "p")
    stats = {**UNIT_STATS, "observation.images.top": UNIT_STATS["observation.images.front"]}
    save_pre_post_processors(
        make_pre_post_processors(policy.config, dataset_stats=stats), tmp_path / "p"
    )
    assert main(_eval_args(tmp_path / "p", tmp_path / "e")) == 0
    err = capsys.readouterr().err
    assert "trained on cameras ['top'] at 24x20" in err
    assert "instead of its default cameras ['front'] at 16x16" in err
    saved = json.loads((tmp_path / "e" / "eval_config.json").read_text())
    assert (saved["env"]["cameras"], saved["env"]["image_height"]) == (["top"], 24)


def test_eval_shows_a_progress_bar_with_successes(tiny_policy_registered, tmp_path, capsys):
    run_eval(save_policy(tmp_path / "good", perfect=True), tmp_path / "e")
    err = capsys.readouterr().err
    assert "eval:" in err and "5/5" in err and "success 5/5" in err


def _descendants(pid: int) -> set[int]:
    children: dict[int, set[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, set()).add(int(stat.parent.name))
    out, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), ()):
            if child not in out:
                out.add(child)
                todo.append(child)
    return out


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.slow
def test_ctrl_c_ends_eval_and_its_env_processes(tiny_policy_registered, tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    policy = save_policy(tmp_path / "p", perfect=False)  # never succeeds: episodes run long
    plugin = Path(__file__).resolve().parents[1] / "plugin"
    paths = [str(tiny_policy_registered), str(plugin), os.environ.get("PYTHONPATH", "")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "lr_core.cli",
            *_eval_args(policy, tmp_path / "e"),
            "--eval.n_episodes=4",
            "--eval.batch_size=2",
            "--eval.use_async_envs=true",
            "--env.episode_length=100000",
        ],
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        env=env,
    )
    deadline = time.monotonic() + 120  # hang guard
    workers: set[int] = set()
    while len(workers) < 3 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.2)  # the forkserver and its two env workers
        workers = _descendants(process.pid)
    assert process.poll() is None, process.communicate()[1][-3000:]
    time.sleep(1.0)
    os.killpg(process.pid, signal.SIGINT)
    try:
        _, err = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        raise AssertionError("lr eval did not end after Ctrl-C") from None
    assert process.returncode == 130, err[-3000:]
    assert "Traceback" not in err
    deadline = time.monotonic() + 30
    while any(_alive(p) for p in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [p for p in workers if _alive(p)], "env processes outlived lr eval"
