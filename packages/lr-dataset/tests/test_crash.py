"""Crash safety: SIGKILL the recording process at random moments; nothing saved is lost."""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from lr_dataset.dataset import LeRobotDataset
from lr_dataset.metadata import LeRobotDatasetMetadata
from lr_dataset.testing import frame, record_then_kill
from lr_dataset.testing.crash import FRAMES


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
    n = record_then_kill(root, rng.uniform(0.0, 2.0))  # may die before the first save
    if n:
        n = _check(root, n)
    for _ in range(5):
        reported = record_then_kill(root, rng.uniform(0.0, 2.5), resume=True)
        if reported or n:
            n = _check(root, max(n, reported))
    # a clean resume after the last crash continues the numbering
    before = LeRobotDatasetMetadata("t/crash", root=root).total_episodes
    assert before >= n
    subprocess.run(
        [
            sys.executable,
            "-m",
            "lr_dataset.testing.crash",
            str(root),
            "--resume",
            "--episodes",
            "1",
        ],
        check=True,
        capture_output=True,
    )
    assert _check(root, before + 1) == before + 1
    assert not list(root.rglob("*.tmp")) and not (root / ".staging").exists()
