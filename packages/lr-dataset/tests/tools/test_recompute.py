"""recompute_stats writes a copy whose stats come from the frames."""

from __future__ import annotations

import json

import numpy as np

from lr_dataset.testing import tree_digest
from lr_dataset.tools import recompute_stats
from lr_dataset.tools.source import open_meta

CAMERA = "observation.images.front"


def test_recompute_matches_the_recorded_stats(two_file_dataset, tmp_path):
    # corrupt a copy's stats.json, then recompute: the result matches the writer's stats
    import shutil

    broken = tmp_path / "broken"
    shutil.copytree(two_file_dataset, broken)
    stats = json.loads((broken / "meta/stats.json").read_text())
    stats["action"]["mean"] = [99.0] * 6
    (broken / "meta/stats.json").write_text(json.dumps(stats))
    before = tree_digest(broken)

    out = recompute_stats(broken, tmp_path / "out", include_visual=True)
    assert tree_digest(broken) == before
    reference = open_meta(two_file_dataset).stats
    for key in ("action", "observation.state", "index"):
        for stat in ("min", "max", "mean", "std", "q50"):
            np.testing.assert_allclose(
                out.meta.stats[key][stat], reference[key][stat], rtol=1e-5, atol=1e-6
            )
    # camera stats now come from decoded (lossy AV1, yuv420) frames, the writer's from the raw
    # frames: means agree closely, extremes less so
    assert out.meta.stats[CAMERA]["mean"].shape == (3, 1, 1)
    np.testing.assert_allclose(out.meta.stats[CAMERA]["mean"], reference[CAMERA]["mean"], atol=0.02)
    assert out.meta.stats[CAMERA]["count"].tolist() == [30]


def test_recompute_image_stats_match_the_writer(image_source, tmp_path):
    # PNG is lossless, so stats from the stored images equal the writer's from the raw frames
    out = recompute_stats(image_source, tmp_path / "out", include_visual=True)
    reference = open_meta(image_source).stats
    for stat in ("min", "max", "mean", "std"):
        np.testing.assert_allclose(out.meta.stats[CAMERA][stat], reference[CAMERA][stat], atol=1e-6)


def test_recompute_adds_quantiles_to_a_dataset_without_them(image_source, tmp_path):
    """A dataset written before quantiles existed (no q.. stats anywhere) gets them back."""
    import shutil

    import pyarrow.parquet as pq

    old = tmp_path / "old"
    shutil.copytree(image_source, old)
    stats = json.loads((old / "meta/stats.json").read_text())
    for feature in stats.values():
        for key in [k for k in feature if k.startswith("q")]:
            del feature[key]
    (old / "meta/stats.json").write_text(json.dumps(stats))
    for path in (old / "meta/episodes").rglob("*.parquet"):
        table = pq.read_table(path)
        keep = [c for c in table.column_names if not c.rsplit("/", 1)[-1].startswith("q")]
        pq.write_table(table.select(keep), path)
    assert "q01" not in open_meta(old).stats["action"]

    out = recompute_stats(old, tmp_path / "out", include_visual=True)
    reference = open_meta(image_source).stats
    for key in ("action", "observation.state", CAMERA):
        for stat in ("q01", "q10", "q50", "q90", "q99"):
            np.testing.assert_allclose(
                out.meta.stats[key][stat], reference[key][stat], rtol=1e-9, err_msg=key
            )
    assert out.meta.episode_stats()[0]["action"]["q99"].shape == (6,)
