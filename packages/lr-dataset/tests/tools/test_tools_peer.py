"""LeRobot 0.6.1 loads what delete / split / merge write, with our values and frames."""

from __future__ import annotations

import numpy as np
import pytest

from lr_dataset.testing import write_dataset
from lr_dataset.tools import delete_episodes, merge_datasets, split_dataset

pytestmark = pytest.mark.peer


def test_lerobot_reads_delete_split_merge(two_file_dataset, tmp_path, compare_with_peer):
    delete_episodes(two_file_dataset, [1], tmp_path / "del")
    compare_with_peer(tmp_path / "del", tmp_path / "del.npz")
    split_dataset(two_file_dataset, {"a": [0, 3], "b": [1, 2, 4]}, tmp_path / "split")
    compare_with_peer(tmp_path / "split" / "b", tmp_path / "b.npz")
    other = write_dataset(tmp_path / "other", episodes=2, frames=6)
    merge_datasets([tmp_path / "del", other], tmp_path / "merged")
    compare_with_peer(tmp_path / "merged", tmp_path / "merged.npz")
    # the last release on Python 3.11 reads them too
    compare_with_peer(tmp_path / "merged", tmp_path / "merged-044.npz", "0.4.4")
    compare_with_peer(tmp_path / "split" / "b", tmp_path / "b-044.npz", "0.4.4")


def test_lerobot_reads_feature_edits_and_image_merges(
    two_file_dataset, image_source, tmp_path, compare_with_peer
):
    from lr_dataset.tools import add_features, recompute_stats, remove_features

    add_features(
        two_file_dataset,
        {
            "observation.extra": (
                np.arange(60, dtype=np.float32).reshape(30, 2),
                {"dtype": "float32", "shape": [2], "names": ["a", "b"]},
            )
        },
        tmp_path / "add",
    )
    compare_with_peer(tmp_path / "add", tmp_path / "add.npz")
    remove_features(tmp_path / "add", ["observation.images.front"], tmp_path / "rm")
    compare_with_peer(tmp_path / "rm", tmp_path / "rm.npz")
    recompute_stats(two_file_dataset, tmp_path / "st", include_visual=True)
    compare_with_peer(tmp_path / "st", tmp_path / "st.npz")
    split_dataset(image_source, {"a": [0], "b": [1, 2]}, tmp_path / "img")
    merge_datasets([tmp_path / "img" / "b", tmp_path / "img" / "a"], tmp_path / "img-merged")
    compare_with_peer(tmp_path / "img-merged", tmp_path / "img.npz")
