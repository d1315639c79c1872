"""Async inference across packages: a policy trained by `lr quickstart --fast` (lr-sim,
lr-dataset, lr-policies), served by `lr serve` (lr-inference) and evaluated with
`lr eval --policy.server=...`, reaches the same success rate as evaluated locally on the same
seeds."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
from pathlib import Path

import pytest

from lr_core import registry

ENV = {**os.environ, "MUJOCO_GL": "egl", "OMP_NUM_THREADS": "1"}


def lr(*args: str, timeout: int = 900) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "lr_core.cli", *args],
        env=ENV,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return result


@pytest.fixture(scope="module")
def quickstart_run(tmp_path_factory) -> Path:
    if "so101" not in registry.names("lr.envs") or "quickstart" not in registry.names(
        "lr.commands"
    ):
        pytest.skip("lr-sim's quickstart is not installed")
    root = tmp_path_factory.mktemp("quickstart")
    lr("quickstart", "--fast", f"--output_root={root}", "--progress=false")
    (run_dir,) = [p for p in root.iterdir() if p.is_dir()]
    return run_dir


@pytest.mark.slow
def test_quickstart_policy_served_remotely_matches_its_local_evaluation(quickstart_run, tmp_path):
    report = json.loads((quickstart_run / "report.json").read_text())
    local = json.loads((quickstart_run / "eval" / "eval_info.json").read_text())
    config = json.loads((quickstart_run / "quickstart_config.json").read_text())
    env = config["env"]
    server = subprocess.Popen(
        [sys.executable, "-m", "lr_core.cli", "serve", "--port=0"],
        env=ENV,
        stdout=subprocess.PIPE,
        stderr=(tmp_path / "serve.log").open("w"),
        text=True,
    )
    try:
        ready, _, _ = select.select([server.stdout], [], [], 120)
        line = server.stdout.readline() if ready else ""
        assert "listening on" in line, (tmp_path / "serve.log").read_text()[-3000:]
        address = line.split("listening on", 1)[1].strip()
        seeds = sorted(e["seed"] for e in local["per_episode"])
        lr(
            "eval",
            f"--policy.path={report['checkpoint']}",
            f"--policy.server={address}",
            "--env.type=so101",
            f"--env.task={env['task']}",
            f"--env.cameras={json.dumps(env['cameras'])}",
            f"--env.image_height={env['image_height']}",
            f"--env.image_width={env['image_width']}",
            f"--env.episode_length={env['episode_length']}",
            f"--seed={seeds[0]}",
            f"--eval.n_episodes={len(seeds)}",
            f"--eval.batch_size={config['eval_batch_size']}",
            "--eval.max_videos=0",
            f"--output_dir={tmp_path / 'remote'}",
        )
    finally:
        server.terminate()
        server.wait(30)
    remote = json.loads((tmp_path / "remote" / "eval_info.json").read_text())
    assert remote["policy"].endswith(f"served by {address}")
    assert remote["aggregated"]["n_episodes"] == local["aggregated"]["n_episodes"]
    assert remote["aggregated"]["pc_success"] == local["aggregated"]["pc_success"]
    pairs = zip(local["per_episode"], remote["per_episode"])
    for here, there in pairs:
        assert here["seed"] == there["seed"]
        assert here["success"] == there["success"]
        assert here["length"] == there["length"]
    assert "connected: " in (tmp_path / "serve.log").read_text()
