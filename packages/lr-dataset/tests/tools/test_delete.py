"""delete_episodes: renumbering, video reuse, source untouched."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lr_dataset.errors import DatasetWriteError
from lr_dataset.metadata import LeRobotDatasetMetadata
from lr_dataset.testing import assert_same_episode, tree_digest
from lr_dataset.tools import delete_episodes

FIXTURES = Path(__file__).parents[1] / "fixtures"


CAMERA = "observation.images.front"


def test_delete_keeps_the_other_episodes_exactly(two_file_dataset, tmp_path):
    before = tree_digest(two_file_dataset)
    out = delete_episodes(two_file_dataset, [1], tmp_path / "out")
    assert tree_digest(two_file_dataset) == before  # the source is byte-identical

    meta = out.meta
    assert meta.total_episodes == 4 and meta.total_frames == 24
    assert meta.episodes["episode_index"] == [0, 1, 2, 3]
    assert meta.episodes["dataset_from_index"] == [0, 6, 12, 18]
    for new, old in enumerate([0, 2, 3, 4]):
        assert_same_episode(two_file_dataset, old, tmp_path / "out", new, camera=CAMERA)
    # global index is contiguous, tasks re-derived
    index = np.array([out[i]["index"] for i in range(len(out))])
    np.testing.assert_array_equal(index, np.arange(24))
    assert list(meta.tasks) == ["pick the cube", "place the cube"]
    # the mixed MP4 (episodes 0-2) was rebuilt by stream copy, the other copied whole
    src = LeRobotDatasetMetadata("s", root=two_file_dataset)
    kept_file = src.root / src.get_video_file_path(3, CAMERA)
    assert (tmp_path / "out" / meta.get_video_file_path(2, CAMERA)).read_bytes() == (
        kept_file.read_bytes()
    )
    # stats: re-indexed columns recomputed, aggregated over the kept episodes
    assert meta.stats["episode_index"]["max"].tolist() == [3]
    assert meta.stats["index"]["max"].tolist() == [23]
    assert int(meta.stats["observation.state"]["count"][0]) == 24


def test_delete_rejects_bad_requests(two_file_dataset, tmp_path):
    with pytest.raises(DatasetWriteError, match=r"episodes \[7\] do not exist"):
        delete_episodes(two_file_dataset, [7], tmp_path / "a")
    with pytest.raises(DatasetWriteError, match="every episode"):
        delete_episodes(two_file_dataset, range(5), tmp_path / "b")
    with pytest.raises(DatasetWriteError, match="in place"):
        delete_episodes(two_file_dataset, [0], two_file_dataset)
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    with pytest.raises(DatasetWriteError, match="not empty"):
        delete_episodes(two_file_dataset, [0], tmp_path / "full")
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


def test_delete_on_an_image_dataset(image_source, tmp_path):
    out = delete_episodes(image_source, [0], tmp_path / "out")
    assert out.meta.total_episodes == 2
    assert_same_episode(image_source, 2, tmp_path / "out", 1, camera=CAMERA)


@pytest.mark.parametrize(
    "name", ["lerobot-0.6.1-video", "lerobot-0.4.4-video", "lerobot-0.6.1-images"]
)
def test_delete_on_lerobot_written_datasets(name, tmp_path):

    src = FIXTURES / name
    before = tree_digest(src)
    out = delete_episodes(src, [1], tmp_path / "out")
    assert tree_digest(src) == before
    meta = LeRobotDatasetMetadata("s", root=src)
    assert out.meta.total_episodes == meta.total_episodes - 1
    for new, old in enumerate(e for e in range(meta.total_episodes) if e != 1):
        assert_same_episode(src, old, tmp_path / "out", new, camera=CAMERA)


def test_leftovers_of_a_killed_run_are_cleaned(two_file_dataset, tmp_path):
    import subprocess
    import sys

    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    leftover = tmp_path / f".out.partial-{int(dead.stdout)}"
    (leftover / "data").mkdir(parents=True)
    delete_episodes(two_file_dataset, [0], tmp_path / "out")
    assert not leftover.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
