"""An episode's rows read from its data parquet: the same rows whatever the file's row-group
layout and row order, and a first read that imports nothing heavy in a DataLoader worker."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pyarrow.parquet as pq
import pytest

from lr_dataset.metadata import LeRobotDatasetMetadata
from lr_dataset.streaming.episode import read_rows
from lr_dataset.testing import files_of


def _episodes_in(meta: LeRobotDatasetMetadata, relative: str) -> list[tuple[int, int]]:
    eps = meta.episodes
    assert eps is not None
    return [
        (int(r["dataset_from_index"]), int(r["dataset_to_index"]))
        for r in eps
        if meta.get_data_file_path(r["episode_index"]).as_posix() == relative
    ]


@pytest.mark.parametrize("layout", ["one row group", "rows reversed", "rows shuffled"])
def test_rows_are_the_episode_frames_in_order_whatever_the_layout(rollover, tmp_path, layout):
    meta = LeRobotDatasetMetadata("t/x", root=rollover)
    source = files_of(rollover, "data")[0]
    spans = _episodes_in(meta, source.relative_to(rollover).as_posix())
    assert len(spans) >= 2  # several episodes share the file
    table = pq.read_table(source)
    if layout == "rows reversed":
        table = table.take(np.arange(table.num_rows)[::-1].copy())
    elif layout == "rows shuffled":
        table = table.take(np.random.default_rng(0).permutation(table.num_rows))
    rewritten = tmp_path / "file.parquet"
    pq.write_table(table, rewritten, row_group_size=table.num_rows)  # every episode in one group
    for first, stop in spans:
        want_arrays, want_arrow = read_rows(source, first, stop, meta, what="source")
        got_arrays, got_arrow = read_rows(rewritten, first, stop, meta, what="rewritten")
        assert list(got_arrays["index"]) == list(range(first, stop))
        assert got_arrays.keys() == want_arrays.keys() and got_arrow.keys() == want_arrow.keys()
        for key, value in want_arrays.items():
            np.testing.assert_array_equal(got_arrays[key], value, err_msg=key)
        for key, value in want_arrow.items():
            assert got_arrow[key].equals(value), key


def test_reading_rows_does_not_import_numpy_ma(rollover):
    """``pa.array`` of a numpy array imports ``numpy.ma`` (tens of ms of CPU in each fresh
    DataLoader worker, before its first sample); an episode stored as its own run of rows is
    sliced instead."""
    code = (
        "import sys\n"
        "import pyarrow.parquet\n"
        "from lr_dataset.metadata import LeRobotDatasetMetadata\n"
        "from lr_dataset.streaming.episode import read_rows\n"
        f"meta = LeRobotDatasetMetadata('t/x', root={str(rollover)!r})\n"
        "assert 'numpy.ma' not in sys.modules\n"
        "r = meta.episodes[1]\n"
        "path = meta.root / meta.get_data_file_path(1)\n"
        "first, stop = int(r['dataset_from_index']), int(r['dataset_to_index'])\n"
        "read_rows(path, first, stop, meta, what='x')\n"
        "print('numpy.ma' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
