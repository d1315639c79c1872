"""Crash safety: SIGKILL the recording process at random moments; nothing saved is lost."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from dataset_helpers import frame

from lr_dataset.dataset import LeRobotDataset

WRITER = Path(__file__).parent / "crash_writer.py"
FRAMES = 8


def _record_then_kill(root: Path, delay_s: float, resume: bool = False) -> int:
    """Start the writer, SIGKILL it after ``delay_s``; return the episodes it reported saved."""
    args = [sys.executable, str(WRITER), str(root)] + (["--resume"] if resume else [])
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True)
    reader.start()
    try:
        proc.wait(timeout=delay_s)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    reader.join()
    saved = 0
    for line in lines:
        if line.startswith("saved "):
            saved = int(line.split()[1])
    return saved


def _check(root: Path, at_least: int) -> int:
    ds = LeRobotDataset("t/crash", root=root, return_uint8=True)
    n = ds.meta.total_episodes
    assert n >= at_least, f"{at_least} episodes were reported saved, {n} load"
    assert len(ds) == n * FRAMES
    for idx in range(len(ds)):
        item = ds[idx]
        ep, i = int(item["episode_index"]), int(item["frame_index"])
        assert (ep, i) == (idx // FRAMES, idx % FRAMES)
        want = frame(ep, i)
        np.testing.assert_array_equal(item["observation.state"], want["observation.state"])
        got = item["observation.images.front"].transpose(1, 2, 0).astype(int)
        # lossy video: the decoded frame must be closer to its own frame than to any neighbour
        candidates = [(ep, j) for j in range(FRAMES)] + [(ep + 1, i), (max(ep - 1, 0), i)]
        errors = {c: np.abs(got - frame(*c)["observation.images.front"]).mean() for c in candidates}
        assert min(errors, key=errors.get) == (ep, i), (ep, i, errors)
    return n


@pytest.mark.slow
def test_sigkill_at_random_points_keeps_every_saved_episode(tmp_path):
    rng = random.Random(1234)
    root = tmp_path / "ds"
    saved = 0
    # first session until the dataset exists with a few episodes, then kill/resume repeatedly
    while not (root / "meta/episodes").exists():
        saved = max(saved, _record_then_kill(root, 2.5 + rng.random()))
        if not (root / "meta/episodes").exists():
            import shutil

            shutil.rmtree(root, ignore_errors=True)
    n = _check(root, saved)
    for _ in range(4):
        reported = _record_then_kill(root, rng.uniform(1.0, 3.0), resume=True)
        n = _check(root, max(n, reported))
    # a clean resume after the last crash continues the numbering
    subprocess.run(
        [sys.executable, str(WRITER), str(root), "--resume", "--episodes", "1"],
        check=True,
        capture_output=True,
    )
    assert _check(root, n + 1) == n + 1
    assert not list(root.rglob("*.tmp")) and not (root / ".staging").exists()
