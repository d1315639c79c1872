"""merge_datasets: compatibility checks, re-indexing, shared MP4 offsets, stats."""

from __future__ import annotations

import numpy as np
import pytest

from lr_dataset import stats as stats_io
from lr_dataset.testing import assert_same_episode, features, frame, tree_digest, write_dataset
from lr_dataset.tools import merge_datasets
from lr_dataset.tools.merge import IncompatibleDatasetsError
from lr_dataset.tools.source import open_meta

CAMERA = "observation.images.front"


def test_merge_reindexes_everything(two_file_dataset, tmp_path):
    other = write_dataset(tmp_path / "b", episodes=2, frames=6)
    digests = tree_digest(two_file_dataset), tree_digest(other)
    out = merge_datasets([two_file_dataset, other], tmp_path / "merged")
    assert (tree_digest(two_file_dataset), tree_digest(other)) == digests

    meta = out.meta
    assert meta.total_episodes == 7 and meta.total_frames == 42
    assert meta.episodes["episode_index"] == list(range(7))
    assert meta.episodes["dataset_from_index"] == list(range(0, 42, 6))
    for new, (root, old) in enumerate(
        [(two_file_dataset, e) for e in range(5)] + [(other, e) for e in range(2)]
    ):
        assert_same_episode(root, old, tmp_path / "merged", new, camera=CAMERA)
    # video offsets: the three source MP4s joined into one, each episode at its new place
    files = set(
        zip(
            meta.episodes[f"videos/{CAMERA}/chunk_index"],
            meta.episodes[f"videos/{CAMERA}/file_index"],
        )
    )
    assert files == {(0, 0)}
    np.testing.assert_allclose(
        meta.episodes[f"videos/{CAMERA}/from_timestamp"], np.arange(7) * 0.2, atol=1e-6
    )
    # the same tasks in both sources are unified
    assert list(meta.tasks) == ["pick the cube", "place the cube"]
    # stats are the aggregate of both datasets' per-episode stats
    a, b = open_meta(two_file_dataset), open_meta(other)
    expected = stats_io.aggregate([a.stats, b.stats])
    for key in ("observation.state", "action", CAMERA):
        np.testing.assert_allclose(meta.stats[key]["mean"], expected[key]["mean"], rtol=1e-6)
        np.testing.assert_allclose(meta.stats[key]["std"], expected[key]["std"], rtol=1e-6)
    assert meta.stats["index"]["max"].tolist() == [41]


def test_merge_can_keep_the_source_video_files(two_file_dataset, tmp_path):
    other = write_dataset(tmp_path / "b", episodes=2, frames=6)
    out = merge_datasets([two_file_dataset, other], tmp_path / "m", concatenate_videos=False)
    meta = out.meta
    files = list(
        zip(
            meta.episodes[f"videos/{CAMERA}/chunk_index"],
            meta.episodes[f"videos/{CAMERA}/file_index"],
        )
    )
    assert files == [(0, 0)] * 3 + [(0, 1)] * 2 + [(0, 2)] * 2
    assert meta.episodes[f"videos/{CAMERA}/from_timestamp"][5] == 0.0
    src = open_meta(other)
    assert (tmp_path / "m" / meta.get_video_file_path(6, CAMERA)).read_bytes() == (
        src.root / src.get_video_file_path(1, CAMERA)
    ).read_bytes()
    assert_same_episode(other, 1, tmp_path / "m", 6, camera=CAMERA)


def test_merge_names_the_mismatch(two_file_dataset, tmp_path):
    fast = write_dataset(tmp_path / "fast", episodes=1, frames=3, camera=None)
    with pytest.raises(IncompatibleDatasetsError, match="features differ.*observation.images"):
        merge_datasets([two_file_dataset, fast], tmp_path / "m1")
    small = write_dataset(tmp_path / "small", episodes=1, frames=3, h=16, w=16)
    with pytest.raises(IncompatibleDatasetsError, match="'observation.images.front': shape"):
        merge_datasets([two_file_dataset, small], tmp_path / "m2")
    assert not (tmp_path / "m1").exists() and not (tmp_path / "m2").exists()


def test_merge_checks_fps(tmp_path):

    from lr_dataset.dataset import LeRobotDataset

    a = write_dataset(tmp_path / "a", episodes=1, frames=3, camera=None)
    ds = LeRobotDataset.create(
        "t/b",
        15,
        features(camera=None),
        root=tmp_path / "b",
        robot_type="so_follower",
        use_videos=False,
    )

    for i in range(3):
        ds.add_frame(frame(0, i, fps=15, camera=False))
    ds.save_episode()
    ds.finalize()
    with pytest.raises(IncompatibleDatasetsError, match="fps differ.*15 != 30"):
        merge_datasets([a, tmp_path / "b"], tmp_path / "m")


def test_merge_never_joins_streams_with_different_codec_setup(tmp_path):
    """ultrafast H.264 has no CABAC, so its PPS (extradata) differs: the files stay apart."""
    from lr_dataset.video import VideoEncoderConfig

    a = write_dataset(tmp_path / "a", episodes=2, frames=6, vcodec="h264")
    b = write_dataset(
        tmp_path / "b",
        episodes=2,
        frames=6,
        video_encoder=VideoEncoderConfig(vcodec="h264", preset="ultrafast"),
    )
    out = merge_datasets([a, b], tmp_path / "m")
    files = out.meta.episodes[f"videos/{CAMERA}/file_index"]
    assert files == [0, 0, 1, 1]
    for new, (root, old) in enumerate([(a, 0), (a, 1), (b, 0), (b, 1)]):
        assert_same_episode(root, old, tmp_path / "m", new, camera=CAMERA)
