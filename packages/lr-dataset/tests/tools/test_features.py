"""add_features / remove_features."""

from __future__ import annotations

import numpy as np
import pytest

from lr_dataset.dataset import LeRobotDataset
from lr_dataset.errors import DatasetWriteError
from lr_dataset.testing import tree_digest
from lr_dataset.tools import add_features, remove_features

CAMERA = "observation.images.front"


def test_add_feature_from_array_and_function(two_file_dataset, tmp_path):
    before = tree_digest(two_file_dataset)
    values = np.arange(30 * 2, dtype=np.float32).reshape(30, 2)
    out = add_features(
        two_file_dataset,
        {
            "observation.extra": (values, {"dtype": "float32", "shape": [2], "names": ["a", "b"]}),
            "done": (
                lambda row, ep, i: float(i == 5),
                {"dtype": "float32", "shape": (1,), "names": None},
            ),
        },
        tmp_path / "out",
    )
    assert tree_digest(two_file_dataset) == before
    meta = out.meta
    assert list(meta.features)[-5:] == [
        "timestamp",
        "frame_index",
        "episode_index",
        "index",
        "task_index",
    ]
    ds = LeRobotDataset("t", root=tmp_path / "out")
    for i in (0, 7, 29):
        np.testing.assert_array_equal(ds[i]["observation.extra"], values[i])
    assert [float(ds[i]["done"]) for i in range(6)] == [0, 0, 0, 0, 0, 1]
    np.testing.assert_allclose(meta.stats["observation.extra"]["mean"], values.mean(axis=0))
    assert meta.stats["done"]["max"].tolist() == [1.0]
    # the videos were copied whole and still decode to the same frames
    src = LeRobotDataset("s", root=two_file_dataset)
    np.testing.assert_array_equal(ds[13][CAMERA], src[13][CAMERA])


def test_add_feature_errors(two_file_dataset, tmp_path):
    with pytest.raises(DatasetWriteError, match="already exists"):
        add_features(
            two_file_dataset,
            {"action": (np.zeros((30, 6)), {"dtype": "float32", "shape": [6]})},
            tmp_path / "a",
        )
    with pytest.raises(DatasetWriteError, match="one value per frame"):
        add_features(
            two_file_dataset,
            {"x": (np.zeros((3, 1)), {"dtype": "float32", "shape": [1]})},
            tmp_path / "b",
        )
    assert not (tmp_path / "b").exists()
    with pytest.raises(DatasetWriteError, match="'x' do not fit its shape \\[2\\]"):
        add_features(
            two_file_dataset,
            {"x": (np.zeros((30, 3)), {"dtype": "float32", "shape": [2]})},
            tmp_path / "c",
        )


def test_remove_camera_and_column(two_file_dataset, tmp_path):
    out = remove_features(two_file_dataset, [CAMERA, "next.reward"], tmp_path / "out")
    meta = out.meta
    assert CAMERA not in meta.features and "next.reward" not in meta.features
    assert meta.video_path is None and not (tmp_path / "out" / "videos").exists()
    assert CAMERA not in meta.stats and "next.reward" not in meta.stats
    assert not any(c.startswith(f"videos/{CAMERA}") for c in meta.episodes.column_names)
    assert set(meta.episode_stats()[0]) == set(meta.stats)
    ds = LeRobotDataset("t", root=tmp_path / "out")
    assert CAMERA not in ds[0] and len(ds) == 30


def test_remove_feature_errors(two_file_dataset, tmp_path):
    with pytest.raises(DatasetWriteError, match="default columns"):
        remove_features(two_file_dataset, "index", tmp_path / "a")
    with pytest.raises(DatasetWriteError, match="'nope' is not in"):
        remove_features(two_file_dataset, "nope", tmp_path / "a")
