"""The whole walk of a new user, at toy sizes, every step through the real `lr` command:

README -> `lr quickstart --fast` -> its report -> `lr dataset` tools on the recorded dataset ->
`lr train` (Ctrl-C before the first checkpoint, started again, stopped, resumed, resumed once
more when finished) -> `lr eval` (the env adapted to the checkpoint's camera) -> the checkpoint
loaded in Python and run on an env observation.
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

from lr_core import registry

REPO = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "MUJOCO_GL": os.environ.get("MUJOCO_GL", "egl")}
SMALL_ACT = [
    "--policy.type=act",
    "--policy.pretrained_backbone_weights=null",
    "--policy.dim_model=32",
    "--policy.n_heads=2",
    "--policy.dim_feedforward=64",
    "--policy.n_encoder_layers=1",
    "--policy.n_vae_encoder_layers=1",
    "--policy.latent_dim=8",
    "--policy.chunk_size=4",
    "--policy.n_action_steps=4",
]


def lr(*args: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "lr_core.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=ENV,
    )
    assert "Traceback" not in result.stderr, result.stderr[-4000:]
    return result


def ok(*args: str) -> subprocess.CompletedProcess[str]:
    result = lr(*args)
    assert result.returncode == 0, (args, result.stderr[-4000:])
    return result


@pytest.mark.slow
def test_the_whole_walk(tmp_path):
    installed = "so101" in registry.names("lr.envs")
    if not installed or "quickstart" not in registry.names("lr.commands"):
        pytest.skip("lr-sim is not installed")
    assert "uv run lr quickstart" in (REPO / "README.md").read_text()

    # 1. The README's main job, as a smoke run, and its report.
    ok("quickstart", "--fast", f"--output_root={tmp_path / 'qs'}", "--progress=false")
    (run_dir,) = [p for p in (tmp_path / "qs").iterdir() if p.is_dir()]
    report = json.loads((run_dir / "report.json").read_text())
    page = (run_dir / "report.html").read_text()
    assert 'src="data:image/png;base64,' in page and 'src="data:video/mp4;base64,' in page
    dataset = report["dataset"]["root"]
    assert report["dataset"]["episodes"] == 3

    # 2. The dataset tools on what the quickstart recorded (today's lr dataset flags).
    info = ok("dataset", "info", dataset).stdout
    assert "3 episodes" in info and "observation.images.front" in info
    ok("dataset", "split", dataset, "--split", "train=0-1", "--split", "val=2",
       "--output", str(tmp_path / "split"))  # fmt: skip
    ok("dataset", "delete-episodes", str(tmp_path / "split" / "train"), "--episodes", "1",
       "--output", str(tmp_path / "one"))  # fmt: skip
    ok("dataset", "merge", str(tmp_path / "one"), str(tmp_path / "split" / "val"),
       "--output", str(tmp_path / "merged"))  # fmt: skip
    assert "2 episodes" in ok("dataset", "info", str(tmp_path / "merged")).stdout

    # 3. Training: Ctrl-C before the first checkpoint, then the same folder again.
    out = tmp_path / "train"
    train = [
        "train",
        *SMALL_ACT,
        "--dataset.repo_id=local/merged",
        f"--dataset.root={tmp_path / 'merged'}",
        "--batch_size=2",
        "--num_workers=1",
        "--log_freq=1",
        "--progress_bar=false",
        f"--output_dir={out}",
    ]
    process = subprocess.Popen(
        [sys.executable, "-m", "lr_core.cli", *train, "--steps=100000", "--save_freq=100000"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
        start_new_session=True,
    )
    deadline = time.monotonic() + 600  # hang guard
    metrics = out / "metrics.jsonl"
    while not (metrics.is_file() and metrics.read_text().count("\n") >= 2):
        assert process.poll() is None, process.communicate()[1][-3000:]
        assert time.monotonic() < deadline, "lr train made no progress"
        time.sleep(0.1)
    os.killpg(process.pid, signal.SIGINT)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 130 and "interrupted" in err and "Traceback" not in err
    assert not (out / "checkpoints" / "last").exists()

    started = ok(*train, "--steps=4", "--save_freq=2", "--stop_after_steps=2")
    assert "starting it again" in started.stderr
    resumed = ok("train", f"--output_dir={out}", "--resume=true", "--progress_bar=false")
    assert "checkpoints/000004" in resumed.stdout
    again = ok("train", f"--output_dir={out}", "--resume=true")
    assert "already finished" in again.stderr
    steps = [json.loads(line)["step"] for line in metrics.read_text().splitlines()]
    assert steps == [1, 2, 3, 4]

    # 4. Evaluation: the env's default cameras differ from the checkpoint's; lr eval adapts.
    checkpoint = out / "checkpoints" / "last" / "pretrained_model"
    evaluated = ok(
        "eval",
        f"--policy.path={checkpoint}",
        "--env.type=so101",
        "--env.task=reach",
        "--env.episode_length=6",
        "--eval.n_episodes=2",
        "--eval.batch_size=2",
        f"--output_dir={tmp_path / 'eval'}",
    )
    # the quickstart records front + wrist at 64x64; the env's default renders 224x224
    assert "trained on cameras ['front', 'wrist'] at 64x64" in evaluated.stderr
    assert "instead of its default cameras ['front', 'wrist'] at 224x224" in evaluated.stderr
    assert "2 successes" in evaluated.stdout or "/2 successes" in evaluated.stdout
    eval_info = json.loads((tmp_path / "eval" / "eval_info.json").read_text())
    assert eval_info["aggregated"]["n_episodes"] == 2

    # 5. The checkpoint in Python, on an observation of the same env.
    code = f"""
import numpy as np, torch
from lr_policies import PreTrainedPolicy
from lr_policies.processors import load_pre_post_processors
from lr_sim import SO101EnvConfig, make_env

path = {str(checkpoint)!r}
policy = PreTrainedPolicy.from_pretrained(path)
pre, post = load_pre_post_processors(path)
cameras = ["front", "wrist"]  # what the quickstart recorded, at 64x64
env = make_env(SO101EnvConfig(task="reach", cameras=cameras, image_height=64, image_width=64))
obs, _ = env.reset(seed=0)
batch = {{}}
for key, value in obs.items():
    tensor = torch.from_numpy(np.asarray(value))
    if key.startswith("observation.images."):
        tensor = tensor.permute(2, 0, 1).float() / 255.0
    batch[key] = tensor.float()
with torch.inference_mode():
    action = post(policy.select_action(pre(batch)))
env.step(action[0].numpy())
env.close()
print("action", tuple(action.shape))
"""
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=600, env=ENV
    )
    assert result.returncode == 0, result.stderr[-4000:]
    assert "action (1, 6)" in result.stdout
