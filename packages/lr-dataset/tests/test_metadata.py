"""The metadata layer: info.json, tasks.parquet, episodes parquet, stats.json, layout."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from lr_dataset import layout
from lr_dataset import stats as stats_io
from lr_dataset import tasks as tasks_io
from lr_dataset.errors import DatasetFormatError, DatasetWriteError
from lr_dataset.info import DatasetInfo
from lr_dataset.metadata import LeRobotDatasetMetadata
from lr_dataset.testing import features

FIXTURES = Path(__file__).parent / "fixtures"


def test_next_file_rolls_into_a_new_chunk():
    assert layout.next_file(0, 0, 1000) == (0, 1)
    assert layout.next_file(0, 999, 1000) == (1, 0)
    assert layout.next_file(3, 1, 2) == (4, 0)


@pytest.mark.parametrize("version", ["0.6.1", "0.4.4"])
def test_info_json_round_trips_lerobot_files(version):
    raw = json.loads((FIXTURES / f"lerobot-{version}-video/meta/info.json").read_text())
    info = DatasetInfo.from_json(raw)
    assert info.to_json() == raw
    assert info.video_keys == ["observation.images.front"]
    assert info.features["observation.state"].shape == (6,)


def test_info_written_like_lerobot(tmp_path):
    meta = LeRobotDatasetMetadata.create(
        "u/x", 30, features(), root=tmp_path / "d", robot_type="so_follower"
    )
    written = json.loads((tmp_path / "d/meta/info.json").read_text())
    lerobot = json.loads((FIXTURES / "lerobot-0.6.1-video/meta/info.json").read_text())
    assert list(written) == list(lerobot)
    assert list(written["features"]) == list(lerobot["features"])
    for key in ("observation.state", "action", "next.reward", "timestamp", "index"):
        assert written["features"][key] == lerobot["features"][key]
    assert written["total_episodes"] == 0 and meta.total_frames == 0
    assert (tmp_path / "d/meta/info.json").read_text().startswith('{\n    "codebase_version"')


def test_create_refuses_a_non_empty_root(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d/file").write_text("x")
    with pytest.raises(DatasetWriteError, match="already exists"):
        LeRobotDatasetMetadata.create("u/x", 30, features(), root=tmp_path / "d")


def test_v21_dataset_gives_a_clear_error(tmp_path):
    (tmp_path / "meta").mkdir()
    (tmp_path / "meta/episodes.jsonl").write_text("{}\n")
    with pytest.raises(DatasetFormatError, match="v2.1"):
        LeRobotDatasetMetadata("u/x", root=tmp_path)
    (tmp_path / "meta/info.json").write_text(
        json.dumps({"codebase_version": "v2.1", "fps": 30, "features": {}})
    )
    with pytest.raises(DatasetFormatError, match="v2.1"):
        LeRobotDatasetMetadata("u/x", root=tmp_path)


@pytest.mark.parametrize("version", ["0.6.1", "0.4.4"])
def test_lerobot_metadata_loads(version):
    meta = LeRobotDatasetMetadata("peer/x", root=FIXTURES / f"lerobot-{version}-video")
    assert (meta.total_episodes, meta.total_frames, meta.total_tasks) == (3, 18, 2)
    assert list(meta.tasks) == ["pick the cube", "place the cube"]
    assert meta.episodes["length"] == [6, 6, 6]
    ep = meta.episodes[1]
    assert ep["dataset_from_index"] == 6 and ep["dataset_to_index"] == 12
    assert ep["videos/observation.images.front/from_timestamp"] == pytest.approx(0.2)
    assert not any(c.startswith("stats/") for c in meta.episodes.column_names)
    assert meta.stats["observation.images.front"]["mean"].shape == (3, 1, 1)
    assert set(meta.stats["action"]) == set(stats_io.STAT_KEYS)
    assert str(meta.get_video_file_path(2, "observation.images.front")) == (
        "videos/observation.images.front/chunk-000/file-000.mp4"
    )
    per_episode = meta.episode_stats()
    assert len(per_episode) == 3 and per_episode[0]["action"]["count"].tolist() == [6]


def test_tasks_round_trip_and_pandas_index(tmp_path):
    import pyarrow.parquet as pq

    table = tasks_io.TaskTable(["a", "b"])
    assert table.add("b") == 1 and table.add("c") == 2
    tasks_io.save(table, tmp_path)
    assert list(tasks_io.load(tmp_path)) == ["a", "b", "c"]
    written = pq.read_table(tmp_path / "meta/tasks.parquet")
    lerobot = pq.read_table(FIXTURES / "lerobot-0.6.1-video/meta/tasks.parquet")
    assert written.schema.names == lerobot.schema.names
    assert json.loads(written.schema.metadata[b"pandas"])["index_columns"] == ["task"]


def test_stats_match_numpy_and_aggregate_exactly():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(200, 3)).astype(np.float32)
    b = rng.normal(2.0, 3.0, size=(50, 3)).astype(np.float32)
    sa, sb = stats_io.vector_stats(a), stats_io.vector_stats(b)
    np.testing.assert_allclose(sa["mean"], a.mean(0), rtol=1e-5)
    np.testing.assert_allclose(sa["std"], a.std(0), rtol=1e-4)
    np.testing.assert_allclose(sa["q50"], np.quantile(a, 0.5, axis=0), atol=0.01)
    np.testing.assert_allclose(sa["q99"], np.quantile(a, 0.99, axis=0), atol=0.05)
    both = np.concatenate([a, b])
    agg = stats_io.aggregate([{"x": sa}, {"x": sb}])["x"]
    np.testing.assert_allclose(agg["mean"], both.mean(0), rtol=1e-5)
    np.testing.assert_allclose(agg["std"], both.std(0), rtol=1e-4)
    assert agg["count"].tolist() == [250]
    np.testing.assert_array_equal(agg["min"], both.min(0))


def test_stats_of_one_frame_and_of_a_scalar_column():
    one = stats_io.vector_stats(np.array([[1.0, 2.0]], dtype=np.float32))
    assert one["q10"].tolist() == [1.0, 2.0] and one["std"].tolist() == [0.0, 0.0]
    scalar = stats_io.vector_stats(np.arange(10, dtype=np.int64))
    assert scalar["mean"].shape == (1,) and scalar["max"].tolist() == [9.0]


def test_image_stats_are_per_channel_in_unit_range():
    s = stats_io.ImageStats()
    for value in (0, 255):
        s.update(np.full((480, 640, 3), value, dtype=np.uint8))
    out = s.result()
    assert out["mean"].shape == (3, 1, 1)
    np.testing.assert_allclose(out["mean"].ravel(), [0.5] * 3)
    assert out["count"].tolist() == [2] and out["max"].max() == 1.0
