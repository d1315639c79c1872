"""Datasets whose files roll over, for streaming tests: several episodes of different lengths
per MP4 and per data file (tiny file-size limits), and sample comparisons."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from lr_dataset.testing.synthetic import features, frame

#: frames of each episode (cycled)
LENGTHS = [13, 9, 21, 17, 11, 23, 15, 10, 19]
#: delta windows touching a camera, the state and the action (with padding at episode edges)
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
    """The dataset's data (``kind="data"``) or video (``kind="videos"``) files, sorted."""
    return sorted(p for p in (root / kind).rglob("*") if p.is_file())


def assert_same_item(got: dict[str, Any], want: dict[str, Any]) -> None:
    """Two samples hold the same keys, and values of the same dtype, shape and content (numpy
    arrays and scalars or torch tensors; other values compared with ``==``)."""
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


def indices(items: Any) -> list[int]:
    """The global frame index (``index``) of each sample, in order."""
    return [int(item["index"]) for item in items]
