"""`lr quickstart --fast`: every stage of the main job, end to end, through the real command."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import av
import pytest

from lr_dataset import LeRobotDataset


@pytest.fixture(scope="module")
def quickstart_run(tmp_path_factory) -> tuple[Path, dict, str]:
    root = tmp_path_factory.mktemp("quickstart")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "lr_core.cli",
            "quickstart",
            "--fast",
            f"--output_root={root}",
            "--progress=false",
        ],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    (run_dir,) = [p for p in root.iterdir() if p.is_dir()]
    report = json.loads((run_dir / "report.json").read_text())
    return run_dir, report, result.stdout + result.stderr


def test_quickstart_reports_every_stage(quickstart_run):
    _, report, output = quickstart_run
    for stage in ("[1/4] recording", "[2/4] training", "[3/4] evaluating", "[4/4] report"):
        assert stage in output
    assert report["fast"] is True
    assert set(report["timings_s"]) == {"record_s", "train_s", "eval_s", "total_s"}
    evaluation = report["evaluation"]
    assert evaluation["n_episodes"] == 2
    low, high = evaluation["pc_success_ci95"]
    assert 0 <= low <= evaluation["pc_success"] <= high <= 100


def test_quickstart_dataset_is_a_loadable_lerobot_dataset(quickstart_run):
    _, report, _ = quickstart_run
    dataset = LeRobotDataset("local/quickstart", root=report["dataset"]["root"])
    assert dataset.meta.total_episodes == report["dataset"]["episodes"] == 3
    assert len(dataset) == report["dataset"]["frames"]
    item = dataset[0]
    assert item["task"]
    assert "observation.images.front" in item


def test_quickstart_checkpoint_and_training_outputs(quickstart_run):
    _, report, _ = quickstart_run
    checkpoint = Path(report["checkpoint"])
    assert (checkpoint / "config.json").is_file()
    assert (checkpoint / "model.safetensors").is_file()
    assert json.loads((checkpoint / "config.json").read_text())["type"] == "act"
    train_dir = Path(report["train_dir"])
    assert (train_dir / "loss_curve.png").read_bytes().startswith(b"\x89PNG")
    assert (train_dir / "metrics.jsonl").read_text().strip()


def test_quickstart_rollout_video_and_html_report(quickstart_run):
    run_dir, report, _ = quickstart_run
    (video,) = report["videos"]
    with av.open(video) as container:
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    assert frames and frames[0].shape == (96, 96, 3)
    page = (run_dir / "report.html").read_text()
    assert 'src="data:image/png;base64,' in page
    assert 'src="data:video/mp4;base64,' in page
    assert report["checkpoint"] in page and report["dataset"]["root"] in page
