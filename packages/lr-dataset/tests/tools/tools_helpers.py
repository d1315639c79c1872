"""Helpers for the editing-tool tests (a unique module name: conftest.py is taken)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
from dataset_helpers import frame


def tree_digest(root: Path) -> dict[str, str]:
    """``{relative path: sha256}`` of every file under ``root``."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def add_episodes(root: Path, episodes: range, **frame_kwargs) -> None:
    """Resume ``root`` and record ``episodes`` (the new episodes go to new files)."""
    from lr_dataset.dataset import LeRobotDataset

    ds = LeRobotDataset.resume("test/synthetic", root=root)
    for ep in episodes:
        for i in range(6):
            ds.add_frame(frame(ep, i, **frame_kwargs))
        ds.save_episode()
    ds.finalize()


def frames_of(root: Path, episode: int) -> list[dict]:
    """Every item of one episode, read with our reader (numpy flavour)."""
    from lr_dataset.dataset import LeRobotDataset

    ds = LeRobotDataset("t/read", root=root, episodes=[episode])
    return [ds[i] for i in range(len(ds))]


def assert_same_episode(a: Path, ep_a: int, b: Path, ep_b: int, *, camera: str | None) -> None:
    """Same values, frames and task (indices aside) for episode ``ep_a`` of a / ``ep_b`` of b."""
    fa, fb = frames_of(a, ep_a), frames_of(b, ep_b)
    assert len(fa) == len(fb)
    for x, y in zip(fa, fb):
        for key in ("observation.state", "action", "next.reward", "timestamp", "frame_index"):
            np.testing.assert_array_equal(x[key], y[key])
        assert x["task"] == y["task"]
        assert y["episode_index"] == ep_b
        if camera:
            np.testing.assert_array_equal(x[camera], y[camera])
