"""A full disk or an unwritable dataset folder: a clear error before the robot moves, or, when
the disk fills during the session, a clean stop that keeps every saved episode.

Real filesystems: small tmpfs mounts (read-only for the unwritable case), so these tests need
root and the right to mount (they are skipped otherwise, saying why).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

LeRobotDataset = pytest.importorskip("lr_dataset.dataset").LeRobotDataset


def _mount(path: Path, options: str) -> None:
    path.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)],
                            capture_output=True, text=True)  # fmt: skip
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({result.stderr.strip()}); needs root")


@pytest.fixture
def tmpfs(tmp_path):
    """``tmpfs(size_mb, read_only=False)``: a fresh tmpfs mounted under ``tmp_path``."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a small filesystem needs root")
    mounted: list[Path] = []

    def make(size_mb: int, read_only: bool = False) -> Path:
        path = tmp_path / f"fs-{uuid.uuid4().hex[:6]}"
        _mount(path, f"size={size_mb}m" + (",ro" if read_only else ""))
        mounted.append(path)
        return path

    yield make
    for path in mounted:
        subprocess.run(["umount", "-l", str(path)], capture_output=True)


def _never_moved(follower) -> bool:
    return all(state["torque"] is False for state in follower.state().values())


def test_a_full_disk_is_refused_before_the_robot_moves(
    run_lr, calibrated_so101, tmpfs, record_args
):
    follower, leader = calibrated_so101
    disk = tmpfs(8)
    proc = run_lr(*record_args(follower, leader, disk / "pick"))
    assert proc.wait() == 1
    assert "not enough free space to record into" in proc.text
    assert "MB free" in proc.text and "one episode of 30 frames needs about" in proc.text
    assert "connected" not in proc.text and _never_moved(follower)
    assert not (disk / "pick").exists()


def test_an_unwritable_root_is_refused_before_the_robot_moves(run_lr, calibrated_so101, tmpfs,
                                                               tmp_path, record_args):  # fmt: skip
    follower, leader = calibrated_so101
    disk = tmpfs(8, read_only=True)
    proc = run_lr(*record_args(follower, leader, disk / "pick"))
    assert proc.wait() == 1
    assert f"cannot record into {disk / 'pick'}" in proc.text
    assert "Read-only file system" in proc.text
    assert "connected" not in proc.text and _never_moved(follower)
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("x")
    proc = run_lr(*record_args(follower, leader, not_a_folder / "pick"))
    assert proc.wait() == 1 and "is a file, not a folder" in proc.text


@pytest.mark.slow
def test_a_disk_filling_during_the_session_stops_it_and_keeps_saved_episodes(
    run_lr, calibrated_so101, tmpfs, record_args
):
    follower, leader = calibrated_so101
    disk = tmpfs(72)  # room for the checks' margin, then filled by "someone else"
    root = disk / "pick"
    args = ["--dataset.num_episodes=3", "--dataset.episode_time_s=2", "--dataset.reset_time_s=0.5"]
    proc = run_lr(*record_args(follower, leader, root, *args))
    proc.expect("Episode 0 saved", timeout=60)
    proc.expect("Recording episode 1", timeout=60)
    with open(disk / "filler", "wb") as filler:  # fill the disk while episode 1 records
        try:
            while True:
                filler.write(b"\0" * (1 << 20))
        except OSError:
            pass
    assert proc.wait(timeout=60) == 1, proc.text
    assert "No space left on device" in proc.text
    error = proc.text.split("lr record: error: ", 1)[1]  # the session's error, robot state last
    assert "torque disabled on every motor that answered" in error
    assert _never_moved(follower)
    (disk / "filler").unlink()
    ds = LeRobotDataset("me/pick", root=root)
    assert ds.meta.total_episodes >= 1 and ds.meta.episodes[0]["length"] > 0
    assert len(ds[0]["observation.state"]) == 6
