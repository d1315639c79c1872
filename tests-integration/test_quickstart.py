"""`lr quickstart --fast`: every stage of the main job, end to end, through the real command,
and its report page opened in headless Chromium."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import av
import numpy as np
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
    assert "1 torch thread" in output and "device cpu" in output  # the runtime choice
    assert "steps/s" in output
    assert report["fast"] is True
    assert set(report["timings_s"]) == {"record_s", "train_s", "eval_s", "report_s", "total_s"}
    # the figures a wall time needs to be read: which CPU, and how loaded it was
    assert report["cpu"] and str(os.cpu_count()) in report["cpu"]
    assert report["load_average"]["start"] is not None and report["load_average"]["end"] >= 0
    cpu = report["cpu_s"]
    assert set(cpu) == {"record_s", "train_s", "train_main_process_s", "eval_s", "report_s"}
    assert all(v > 0 for v in cpu.values())
    assert cpu["train_main_process_s"] <= cpu["train_s"]  # + the data-loading worker
    evaluation = report["evaluation"]
    assert evaluation["n_episodes"] == 2
    low, high = evaluation["pc_success_ci95"]
    assert 0 <= low <= evaluation["pc_success"] <= high <= 100


def test_the_policy_reads_cameras_and_joint_state_only(quickstart_run):
    _, report, _ = quickstart_run
    assert report["policy_inputs"] == [
        "observation.images.front",
        "observation.images.wrist",
        "observation.state",
    ]
    config = json.loads((Path(report["checkpoint"]) / "config.json").read_text())
    assert config["type"] == "visuomotor"
    assert "observation.environment_state" not in config["input_features"]


def test_quickstart_dataset_is_a_loadable_lerobot_dataset(quickstart_run):
    _, report, _ = quickstart_run
    dataset = LeRobotDataset("local/quickstart", root=report["dataset"]["root"])
    assert dataset.meta.total_episodes == report["dataset"]["episodes"] == 3
    assert len(dataset) == report["dataset"]["frames"]
    item = dataset[0]
    assert item["task"]
    assert item["observation.images.front"].shape == (3, 64, 64)
    assert item["observation.images.wrist"].shape == (3, 64, 64)


def test_quickstart_checkpoint_and_training_outputs(quickstart_run):
    _, report, _ = quickstart_run
    checkpoint = Path(report["checkpoint"])
    assert (checkpoint / "model.safetensors").is_file()
    train_dir = Path(report["train_dir"])
    assert (train_dir / "loss_curve.png").read_bytes().startswith(b"\x89PNG")
    assert (train_dir / "metrics.jsonl").read_text().strip()


def test_report_commands_are_the_stages_commands(quickstart_run):
    run_dir, report, _ = quickstart_run
    commands = report["commands"]
    record = shlex.split(commands["record"])
    assert record[:3] == ["lr", "sim", "record"] and f"--dataset.root={run_dir}/dataset" in record
    train = shlex.split(commands["train"])
    assert train[:3] == ["OMP_NUM_THREADS=1", "lr", "train"]
    assert "--policy.type=visuomotor" in train and f"--output_dir={run_dir}/train" in train
    evaluate = shlex.split(commands["eval"])
    assert evaluate[1:3] == ["lr", "eval"] and "--seed=100000" in evaluate
    saved = json.loads((run_dir / "train" / "train_config.json").read_text())
    assert saved["steps"] == 20 and saved["num_workers"] == 1


def test_showcase_video_shows_the_scene_and_both_cameras(quickstart_run):
    _, report, _ = quickstart_run
    clips = report["showcase"]
    assert clips and {c["kind"] for c in clips} <= {"success", "failure"}
    for clip in clips:
        with av.open(clip["video"]) as container:
            frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
        # 256-pixel scene, a 4-pixel gap, the two 64x64 cameras scaled x2 and stacked
        assert frames[0].shape == (256, 388, 3)
        assert len(frames) == clip["length"] + 1  # the first observation and one per step


def _media_check_page(report_html: Path, target: Path) -> None:
    script = """<script>
function check() {
  const videos = [...document.querySelectorAll("video")].map(
    v => ({ready: v.readyState, w: v.videoWidth, h: v.videoHeight}));
  const images = [...document.querySelectorAll("img")].map(
    i => ({complete: i.complete, w: i.naturalWidth}));
  document.getElementById("media-check").textContent = JSON.stringify({videos, images});
}
document.body.insertAdjacentHTML("beforeend", '<pre id="media-check"></pre>');
let polls = 0;
function poll() {  // until every video has a decoded frame, or 20 s
  const waiting = [...document.querySelectorAll("video")].some(v => v.readyState < 2);
  if (waiting && ++polls < 100) { setTimeout(poll, 200); } else { check(); }
}
window.addEventListener("load", poll);
</script>"""
    target.write_text(report_html.read_text().replace("</body>", script + "</body>"))


def test_report_page_renders_its_video_and_plot_in_chromium(quickstart_run, tmp_path):
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("headless Chromium is not installed (Debian: apt-get install chromium)")
    run_dir, report, _ = quickstart_run
    page = tmp_path / "report_check.html"
    _media_check_page(run_dir / "report.html", page)
    flags = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"]
    flags.append("--autoplay-policy=no-user-gesture-required")
    dom = subprocess.run(
        [*flags, "--virtual-time-budget=30000", "--dump-dom", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout
    marker = '<pre id="media-check">'
    result = json.loads(
        dom.rsplit(marker, 1)[1].split("</pre>", 1)[0]
    )  # the last: the script holds one
    assert result["images"] and all(i["complete"] and i["w"] > 0 for i in result["images"])
    assert len(result["videos"]) == len(report["showcase"])
    for video in result["videos"]:
        assert video["ready"] >= 2 and (video["w"], video["h"]) == (388, 256)  # decoded

    shot = tmp_path / "report.png"
    subprocess.run(
        [*flags, "--window-size=1100,1400", f"--screenshot={shot}", page.as_uri()],
        capture_output=True,
        timeout=120,
    )
    from PIL import Image

    pixels = np.asarray(Image.open(shot).convert("RGB"))
    assert pixels.shape[:2] == (1400, 1100) and pixels.std() > 10  # a painted page
