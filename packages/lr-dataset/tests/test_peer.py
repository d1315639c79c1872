"""Two-way compatibility with LeRobot 0.6.1 and 0.4.4, driven in their own venvs.

Run with ``uv run pytest -m peer packages/lr-dataset``; skipped when the peers are absent.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from lr_dataset.dataset import LeRobotDataset
from lr_dataset.testing import frame, record_then_kill, write_dataset

pytestmark = pytest.mark.peer

VERSIONS = ["0.6.1", "0.4.4"]
DELTAS = {
    "observation.images.front": [-2 / 30, 0],
    "observation.state": [-1 / 30, 0],
    "action": [0, 1 / 30, 2 / 30, 3 / 30],
}


def _peer_items(run_peer, version: str, root, out, deltas=None) -> tuple[dict, dict]:
    args = [str(root), str(out)]
    if deltas:
        args += ["--deltas", json.dumps(deltas)]
    result = run_peer(version, "lerobot_read.py", *args)
    items: dict[int, dict[str, np.ndarray]] = {}
    with np.load(out) as npz:
        for key in npz.files:
            i, feature = key.split("/", 1)
            items.setdefault(int(i), {})[feature] = npz[key]
    return result, items


def _assert_same(ours: LeRobotDataset, theirs: dict[int, dict[str, np.ndarray]]) -> None:
    assert len(theirs) == len(ours)
    for i, want_item in theirs.items():
        got_item = ours[i]
        assert set(got_item) == set(want_item), i
        for key, want in want_item.items():
            got = got_item[key]
            if key == "task":
                assert got == str(want)
            elif key.startswith("observation.images"):
                np.testing.assert_array_equal(np.asarray(got), want, err_msg=f"[{i}] {key}")
            else:
                np.testing.assert_array_equal(np.asarray(got), want, err_msg=f"[{i}] {key}")


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("variant", ["video", "h264", "images"])
def test_lerobot_written_dataset_reads_identically_here(tmp_path, version, variant, run_peer):
    root = tmp_path / "ds"
    args = [str(root), "--episodes", "4", "--frames", "9", "--two-tasks"]
    if variant == "h264":
        args += ["--codec", "h264"]
    if variant == "images":
        args += ["--images", "--height", "24", "--width", "20"]
    run_peer(version, "lerobot_write.py", *args)
    deltas = DELTAS if variant != "images" else {"observation.images.front": [-1 / 30, 0]}
    _, theirs = _peer_items(run_peer, version, root, tmp_path / "peer.npz", deltas)
    ours = LeRobotDataset("peer/x", root=root, delta_timestamps=deltas)
    _assert_same(ours, theirs)
    assert list(ours.meta.tasks) == ["pick the cube", "place the cube"]


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("variant", ["video", "h264", "images", "rollover"])
def test_lr_written_dataset_reads_identically_in_lerobot(tmp_path, version, variant, run_peer):
    root = tmp_path / "ds"
    kwargs: dict = {"episodes": 4, "frames": 9}
    if variant == "h264":
        kwargs["vcodec"] = "h264"
    if variant == "images":
        kwargs.update(camera="image", h=24, w=20)
    if variant == "rollover":
        kwargs.update(h=64, w=64, data_files_size_in_mb=0.004, video_files_size_in_mb=0.003)
    write_dataset(root, **kwargs)
    if variant == "rollover":
        assert (root / "videos/observation.images.front/chunk-000/file-001.mp4").exists()
    deltas = DELTAS if variant != "images" else {"observation.images.front": [-1 / 30, 0]}
    result, theirs = _peer_items(run_peer, version, root, tmp_path / "peer.npz", deltas)
    assert result["total_episodes"] == 4 and result["len"] == 36
    assert result["tasks"] == ["pick the cube", "place the cube"]
    ours = LeRobotDataset("t/x", root=root, delta_timestamps=deltas)
    _assert_same(ours, theirs)


@pytest.mark.parametrize("version", VERSIONS)
def test_resumed_dataset_reads_in_lerobot(tmp_path, version, run_peer):
    root = write_dataset(tmp_path / "ds", episodes=2, frames=5)
    ds = LeRobotDataset.resume("t/x", root=root)
    for i in range(7):
        ds.add_frame(frame(2, i))
    ds.save_episode()
    ds.finalize()
    result, theirs = _peer_items(run_peer, version, root, tmp_path / "peer.npz", DELTAS)
    assert result["len"] == 17
    _assert_same(LeRobotDataset("t/x", root=root, delta_timestamps=DELTAS), theirs)


@pytest.mark.parametrize("version", ["0.6.1"])
def test_killed_then_repaired_dataset_reads_in_lerobot(tmp_path, version, run_peer):
    """SIGKILL mid-recording, repair, and LeRobot reads exactly what lr reads."""
    from lr_dataset import repair

    root = tmp_path / "ds"
    subprocess.run(
        [sys.executable, "-m", "lr_dataset.testing.crash", str(root), "--episodes", "3"],
        check=True,
        capture_output=True,
    )
    for delay in (1.7, 2.3):
        record_then_kill(root, delay, resume=True)
    repair(root)
    result, theirs = _peer_items(run_peer, version, root, tmp_path / "peer.npz")
    ours = LeRobotDataset("t/crash", root=root)
    assert result["len"] == len(ours) and result["total_episodes"] == ours.meta.total_episodes
    _assert_same(ours, theirs)
