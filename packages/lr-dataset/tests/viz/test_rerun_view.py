"""``lr dataset viz --save``: a stored episode as a rerun recording (read back from the .rrd)."""

from __future__ import annotations

import subprocess
import sys
from collections import defaultdict

import numpy as np
import pytest

from lr_dataset.dataset import LeRobotDataset
from lr_dataset.testing import write_dataset

rr_chunk = pytest.importorskip("rerun.chunk")


def read_rrd(path) -> dict[str, dict[str, list]]:
    out: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for chunk in rr_chunk.RrdReader(str(path)).store().stream():
        batch = chunk.to_record_batch()
        for name in batch.schema.names:
            if name in ("log_time", "timestamp", "rerun.controls.RowId") or ":start_time" in name:
                continue
            out[chunk.entity_path][name].extend(batch.column(name).to_pylist())
    return out


def test_lr_dataset_viz_saves_an_episode_as_rerun_shows_it(tmp_path):
    root = write_dataset(tmp_path / "ds", episodes=2, frames=10)
    rrd = tmp_path / "ep1.rrd"
    out = subprocess.run(
        [sys.executable, "-m", "lr_core.cli", "dataset", "viz", f"--dataset.root={root}",
         "--episode_index=1", f"--save={rrd}"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert f"wrote {rrd}: episode 1, 10 frames" in out.stdout
    data = read_rrd(rrd)
    ds = LeRobotDataset("test/synthetic", root=root)
    state = ds.column("observation.state", 1)
    logged = [v[0] for v in data["/observation.state/j2"]["Scalars:scalars"]]
    np.testing.assert_allclose(logged, state[:, 2], rtol=1e-6)
    assert data["/observation.state/j2"]["frame_index"] == list(range(10))
    camera = data["/observation.images.front"]
    assert camera["frame_index"] == list(range(10))
    assert camera["Image:format"][0][0]["width"] == 48
    assert "place the cube" in str(data["/task"]["TextLog:text"])


def test_a_missing_episode_is_one_error_line(tmp_path):
    root = write_dataset(tmp_path / "ds", episodes=1, frames=4)
    out = subprocess.run(
        [sys.executable, "-m", "lr_core.cli", "dataset", "viz", str(root), "--episode-index=3"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert out.returncode == 1
    assert "--episode_index=3" in out.stderr and "episodes 0..0" in out.stderr
    assert "Traceback" not in out.stderr
