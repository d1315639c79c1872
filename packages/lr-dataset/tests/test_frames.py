"""The lazy polars view: frames joined with tasks and episodes, no video decoded."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from lr_dataset import scan_episodes, scan_frames
from lr_dataset.dataset import LeRobotDataset

FIXTURES = Path(__file__).parent / "fixtures"
SRC = FIXTURES / "lerobot-0.6.1-video"


def test_one_row_per_frame_with_task_and_episode():
    frames = scan_frames(SRC).collect()
    ds = LeRobotDataset("peer/x", root=SRC)
    assert frames.height == len(ds) == 18
    assert frames["index"].to_list() == list(range(18))
    assert frames["task"].to_list() == [ds[i]["task"] for i in range(18)]
    assert frames["length"].to_list() == [6] * 18
    assert (
        frames["videos/observation.images.front/from_timestamp"][6]
        == ds.meta.episode(1)["videos/observation.images.front/from_timestamp"]
    )
    np.testing.assert_array_equal(frames["action"].to_numpy(), ds.column("action"))
    assert "observation.images.front" not in frames.columns  # videos are not in the parquet


def test_filter_aggregate_export(tmp_path):
    frames = scan_frames(SRC)
    per_task = (
        frames.group_by("task")
        .agg(pl.col("episode_index").n_unique().alias("episodes"), pl.len().alias("frames"))
        .sort("task")
        .collect()
    )
    assert per_task.to_dicts() == [
        {"task": "pick the cube", "episodes": 2, "frames": 12},
        {"task": "place the cube", "episodes": 1, "frames": 6},
    ]
    ds = LeRobotDataset("peer/x", root=SRC)
    actions = ds.column("action")
    place = frames.filter(pl.col("task") == "place the cube").select("action").collect()
    np.testing.assert_array_equal(place["action"].to_numpy(), actions[6:12])
    first = frames.select(pl.col("action").arr.get(0).cast(pl.Float64).mean()).collect().item()
    assert first == pytest.approx(float(actions[:, 0].astype(np.float64).mean()), rel=1e-12)
    frames.select("index", "task", "action").sink_parquet(tmp_path / "actions.parquet")
    back = pq.read_table(tmp_path / "actions.parquet")
    assert back.column("task").to_pylist()[6] == "place the cube" and back.num_rows == 18


def test_no_video_is_decoded():
    code = (
        "import sys, polars as pl\n"
        "from lr_dataset import scan_frames\n"
        f"out = scan_frames({str(SRC)!r}).group_by('task').agg(pl.col('next.reward').sum())\n"
        "out.collect()\n"
        "assert 'av' not in sys.modules, 'PyAV was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_episode_selection_and_the_dataset_method():
    ds = LeRobotDataset("peer/x", root=SRC, episodes=[2, 0])
    frames = ds.scan_frames().collect()
    assert frames["episode_index"].unique().sort().to_list() == [0, 2]
    assert frames.height == len(ds) == 12
    assert scan_episodes(SRC, [1]).collect()["length"].to_list() == [6]


def test_rows_no_episode_references_are_left_out(tmp_path):
    root = tmp_path / "ds"
    shutil.copytree(SRC, root)
    path = root / "data/chunk-000/file-000.parquet"
    table = pq.read_table(path)
    extra = table.slice(0, 3).to_pydict()
    extra["index"] = [18, 19, 20]
    extra["episode_index"] = [3, 3, 3]
    pq.write_table(pa.concat_tables([table, pa.table(extra, schema=table.schema)]), path)
    assert scan_frames(root).collect().height == 18


def test_image_columns_and_name_clashes(image_dataset, tmp_path):
    frames = scan_frames(image_dataset).select("observation.images.front").collect()
    first = frames["observation.images.front"][0]
    assert first["bytes"][:8] == b"\x89PNG\r\n\x1a\n"
    # a feature called "length" keeps its name; the episode's length gets a suffix
    from lr_dataset.tools import add_features

    out = add_features(
        image_dataset,
        {"length": (np.arange(8, dtype=np.float32), {"dtype": "float32", "shape": [1]})},
        tmp_path / "out",
    )
    frames = scan_frames(out.meta).collect()
    assert frames["length"].to_list() == list(range(8))
    assert frames["length_episode"].to_list() == [4] * 8
