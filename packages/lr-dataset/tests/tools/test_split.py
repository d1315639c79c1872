"""split_dataset: by episode lists and by fractions."""

from __future__ import annotations

import pytest

from lr_dataset.errors import DatasetWriteError
from lr_dataset.testing import assert_same_episode, tree_digest
from lr_dataset.tools import split_dataset
from lr_dataset.tools.split import fractions_to_episodes

CAMERA = "observation.images.front"


def test_split_by_episode_lists(two_file_dataset, tmp_path):
    before = tree_digest(two_file_dataset)
    out = split_dataset(two_file_dataset, {"train": [0, 2, 3], "val": [1, 4]}, tmp_path)
    assert tree_digest(two_file_dataset) == before
    assert out["train"].meta.total_episodes == 3 and out["val"].meta.total_episodes == 2
    for new, old in enumerate([0, 2, 3]):
        assert_same_episode(two_file_dataset, old, tmp_path / "train", new, camera=CAMERA)
    for new, old in enumerate([1, 4]):
        assert_same_episode(two_file_dataset, old, tmp_path / "val", new, camera=CAMERA)
    assert out["val"].meta.episodes["dataset_from_index"] == [0, 6]


def test_split_by_fractions(two_file_dataset, tmp_path):
    out = split_dataset(two_file_dataset, {"train": 0.6, "val": 0.4}, tmp_path)
    assert out["train"].meta.total_episodes == 3 and out["val"].meta.total_episodes == 2
    assert_same_episode(two_file_dataset, 3, tmp_path / "val", 0, camera=CAMERA)


def test_fraction_rules():
    assert fractions_to_episodes(10, {"a": 0.8, "b": 0.2}) == {
        "a": list(range(8)),
        "b": [8, 9],
    }
    assert fractions_to_episodes(10, {"a": 0.5}) == {"a": list(range(5))}
    with pytest.raises(DatasetWriteError, match="sum to"):
        fractions_to_episodes(10, {"a": 0.8, "b": 0.5})
    with pytest.raises(DatasetWriteError, match="'b'.*empty"):
        fractions_to_episodes(3, {"a": 0.9, "b": 0.05})


def test_split_rejects_overlaps_and_unknown_episodes(two_file_dataset, tmp_path):
    with pytest.raises(DatasetWriteError, match="episode 1 is in both"):
        split_dataset(two_file_dataset, {"a": [0, 1], "b": [1]}, tmp_path)
    with pytest.raises(DatasetWriteError, match="episode 9 does not exist"):
        split_dataset(two_file_dataset, {"a": [9]}, tmp_path)
    assert not any(tmp_path.iterdir())
