"""Damaged episode ranges and data rows are refused at open, in the tools and in repair."""

from __future__ import annotations

import glob
import shutil
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from lr_dataset.dataset import LeRobotDataset
from lr_dataset.errors import DatasetFormatError

VEC = {"dtype": "float32", "shape": (1,), "names": ["x"]}


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> Path:
    """3 episodes × 5 frames, no camera; state = episode index."""
    root = tmp_path_factory.mktemp("clean") / "src"
    ds = LeRobotDataset.create(
        "me/m",
        fps=30,
        features={"observation.state": VEC, "action": VEC},
        root=root,
        use_videos=False,
    )
    for ep in range(3):
        for _ in range(5):
            value = np.float32([ep])
            ds.add_frame({"observation.state": value, "action": value, "task": "t"})
        ds.save_episode()
    ds.finalize()
    return root


def _copy(clean: Path, tmp_path: Path) -> Path:
    root = tmp_path / "src"
    shutil.copytree(clean, root)
    return root


def _edit_parquet(path: Path, **changes) -> None:
    """Set ``column[row] = value`` for ``changes = {column: {row: value}}``."""
    table = pq.read_table(path)
    columns = table.to_pydict()
    for column, rows in changes.items():
        for row, value in rows.items():
            columns[column][row] = value
    pq.write_table(pa.table(columns, schema=table.schema), path)


def _episodes_file(root: Path) -> Path:
    return Path(glob.glob(str(root / "meta/episodes/*/*.parquet"))[0])


def _data_file(root: Path) -> Path:
    return root / "data/chunk-000/file-000.parquet"


def test_the_report_short_and_overlapping_ranges(clean, tmp_path):
    """F4: episode 0 claims [0, 3), episode 1 [3, 10): refused at open, naming both."""
    root = _copy(clean, tmp_path)
    _edit_parquet(_episodes_file(root), dataset_to_index={0: 3}, dataset_from_index={1: 3})
    with pytest.raises(DatasetFormatError, match=r"file-000.parquet: episode 0 spans index"):
        LeRobotDataset("me/m", root=root)
    from lr_dataset.tools import delete_episodes

    with pytest.raises(DatasetFormatError, match="episode 0"):
        delete_episodes(root, [2], tmp_path / "out")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"dataset_from_index": {1: 4}, "dataset_to_index": {1: 9}}, "overlaps the previous"),
        ({"dataset_from_index": {2: 11}, "dataset_to_index": {2: 16}}, "leaves a gap"),
        ({"dataset_from_index": {0: 1}, "dataset_to_index": {0: 6}}, "starts at index 1"),
        ({"length": {2: 0}, "dataset_to_index": {2: 10}}, "has length 0"),
        ({"episode_index": {2: 1}}, "row 2 holds episode_index 1"),
    ],
)
def test_episode_table_invariants(clean, tmp_path, changes, message):
    root = _copy(clean, tmp_path)
    _edit_parquet(_episodes_file(root), **changes)
    with pytest.raises(DatasetFormatError, match=message) as info:
        LeRobotDataset("me/m", root=root)
    assert "meta/episodes/chunk-000/file-000.parquet" in str(info.value)


def test_consistent_looking_ranges_that_disagree_with_the_rows(clean, tmp_path):
    """Lengths adjusted too (0: [0, 3) of 3, 1: [3, 10) of 7): the rows say otherwise."""
    root = _copy(clean, tmp_path)
    _edit_parquet(
        _episodes_file(root),
        dataset_to_index={0: 3},
        dataset_from_index={1: 3},
        length={0: 3, 1: 7},
    )
    with pytest.raises(DatasetFormatError) as info:
        LeRobotDataset("me/m", root=root)
    text = str(info.value)
    assert "data/chunk-000/file-000.parquet" in text
    assert "episode 1, frame 0 (index 3) has episode_index 0" in text


def test_rows_checked_per_slice_in_the_tools(clean, tmp_path):
    """A frame_index damaged in the data only: the tools refuse to copy it."""
    from lr_dataset.tools import delete_episodes, recompute_stats, split_dataset

    root = _copy(clean, tmp_path)
    _edit_parquet(_data_file(root), frame_index={7: 0})
    with pytest.raises(DatasetFormatError, match="episode 1, frame 2 .index 7. has frame_index 0"):
        LeRobotDataset("me/m", root=root)
    with pytest.raises(DatasetFormatError, match=r"file-000.parquet: episode 1, frame 2"):
        delete_episodes(root, [0], tmp_path / "out")
    with pytest.raises(DatasetFormatError, match="episode 1"):
        split_dataset(root, {"a": [0, 1], "b": [2]}, tmp_path / "split")
    with pytest.raises(DatasetFormatError, match="episode 1"):
        recompute_stats(root, tmp_path / "stats")
    assert not any(p.exists() for p in (tmp_path / "out", tmp_path / "split", tmp_path / "stats"))
    # episodes whose rows are intact can still be taken out of it
    kept = delete_episodes(root, [1], tmp_path / "fine")
    assert kept.meta.total_episodes == 2 and len(kept) == 10


def test_a_frame_stored_twice(clean, tmp_path):
    root = _copy(clean, tmp_path)
    table = pq.read_table(_data_file(root))
    pq.write_table(pa.concat_tables([table, table.slice(2, 1)]), _data_file(root))
    with pytest.raises(DatasetFormatError, match="index 2 appears in 2 data rows"):
        LeRobotDataset("me/m", root=root)


def test_missing_rows(clean, tmp_path):
    root = _copy(clean, tmp_path)
    table = pq.read_table(_data_file(root))
    pq.write_table(table.slice(0, 12), _data_file(root))
    with pytest.raises(DatasetFormatError, match="episode 2, frame 2 .index 12. is listed"):
        LeRobotDataset("me/m", root=root)


def test_unreferenced_rows_at_the_end_are_not_damage(clean, tmp_path):
    """What an interrupted save leaves: rows past the last episode. Read, then repaired."""
    from lr_dataset import repair

    root = _copy(clean, tmp_path)
    table = pq.read_table(_data_file(root))
    extra = table.slice(10, 5).to_pydict()
    extra["index"] = [15 + i for i in range(5)]
    extra["episode_index"] = [3] * 5
    pq.write_table(
        pa.concat_tables([table, pa.table(extra, schema=table.schema)]), _data_file(root)
    )
    assert len(LeRobotDataset("me/m", root=root)) == 15
    assert repair(root).truncated_files == [_data_file(root)]
    assert pq.read_metadata(_data_file(root)).num_rows == 15


def test_repair_refuses_to_rewrite_damaged_rows(clean, tmp_path):
    from lr_dataset import repair

    root = _copy(clean, tmp_path)
    table = pq.read_table(_data_file(root)).to_pydict()
    table["episode_index"][3] = 2
    for key in table:
        table[key].append(table[key][-1])
    table["index"][-1] = 15
    pq.write_table(pa.table(table, schema=pq.read_schema(_data_file(root))), _data_file(root))
    before = _data_file(root).read_bytes()
    with pytest.raises(
        DatasetFormatError, match="episode 0, frame 3 .index 3. has episode_index 2"
    ):
        repair(root)
    assert _data_file(root).read_bytes() == before


def test_overlapping_video_spans(video_dataset, tmp_path):
    root = tmp_path / "v"
    shutil.copytree(video_dataset, root)
    key = "videos/observation.images.front"
    _edit_parquet(_episodes_file(root), **{f"{key}/from_timestamp": {1: 0.1}})
    with pytest.raises(DatasetFormatError, match="episode 1 has video .* overlapping episode 0"):
        LeRobotDataset("me/v", root=root)
