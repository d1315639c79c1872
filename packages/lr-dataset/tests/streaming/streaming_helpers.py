"""Helpers for the streaming tests (a unique module name: pytest imports it by path)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from dataset_helpers import features, frame

LENGTHS = [13, 9, 21, 17, 11, 23, 15, 10, 19]
WINDOWS = {
    "observation.images.front": [-0.1, 0.0],
    "observation.state": [-1 / 30, 0.0],
    "action": [k / 30 for k in range(6)],
}


def write_rollover_dataset(
    root: Path,
    *,
    episodes: int = 9,
    camera: str = "video",
    video_files_size_in_mb: float = 0.008,
    data_files_size_in_mb: float = 0.015,
    fps: int = 30,
    camera_key: str = "observation.images.front",
    content_offset: int = 0,
    **kwargs: Any,
) -> Path:
    """Record ``episodes`` episodes of :data:`LENGTHS` frames with tiny file-size limits, so
    videos and data roll over into several files. ``camera_key`` renames the camera;
    ``content_offset`` changes the synthetic content."""
    from lr_dataset.dataset import LeRobotDataset

    specs = features(camera=camera, height=32, width=48)
    specs[camera_key] = specs.pop("observation.images.front")
    ds = LeRobotDataset.create(
        "test/rollover",
        fps,
        specs,
        root=root,
        use_videos=camera == "video",
        video_files_size_in_mb=video_files_size_in_mb,
        data_files_size_in_mb=data_files_size_in_mb,
        **kwargs,
    )
    for ep in range(episodes):
        for i in range(LENGTHS[ep % len(LENGTHS)]):
            values = frame(ep + content_offset, i, fps=fps, h=32, w=48)
            values[camera_key] = values.pop("observation.images.front")
            ds.add_frame(values)
        ds.save_episode()
    ds.finalize()
    return root


def files_of(root: Path, kind: str) -> list[Path]:
    """The dataset's data (``"data"``) or video (``"videos"``) files."""
    return sorted(p for p in (root / kind).rglob("*") if p.is_file())


def assert_same_item(got: dict, want: dict) -> None:
    """Equal keys, values, dtypes and shapes (numpy or torch)."""
    assert set(got) == set(want), set(got) ^ set(want)
    for key, value in want.items():
        other = got[key]
        if hasattr(value, "numpy"):
            value, other = value.numpy(), other.numpy()
        if isinstance(value, (np.ndarray, np.generic)):
            a, b = np.asarray(value), np.asarray(other)
            assert a.dtype == b.dtype and a.shape == b.shape, (key, a.dtype, b.dtype, a.shape)
            assert np.array_equal(a, b), key
        else:
            assert value == other, key


def indices(items) -> list[int]:
    """The global frame index of each sample."""
    return [int(item["index"]) for item in items]
