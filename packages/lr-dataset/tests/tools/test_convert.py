"""convert_v21: v2.1 -> v3.0, checked against the v2.1 files and (peer) LeRobot's converter."""

from __future__ import annotations

import json

import numpy as np
import pytest

from lr_core.cli import main
from lr_dataset.dataset import LeRobotDataset
from lr_dataset.errors import DatasetFormatError
from lr_dataset.testing import CAMERA, tree_digest, write_v21
from lr_dataset.tools import convert_v21
from lr_dataset.video import VideoDecoder


@pytest.fixture(scope="module")
def v21(tmp_path_factory):
    return write_v21(tmp_path_factory.mktemp("v21") / "src", episodes=3, frames=5)


def test_convert_keeps_every_value_and_frame(v21, tmp_path):
    before = tree_digest(v21)
    meta = convert_v21(v21, tmp_path / "out")
    assert tree_digest(v21) == before
    assert meta.info.codebase_version == "v3.0"
    assert meta.total_episodes == 3 and meta.total_frames == 15
    assert list(meta.tasks) == ["pick the cube", "place the cube"]
    info = json.loads((tmp_path / "out/meta/info.json").read_text())
    assert "total_chunks" not in info and "total_videos" not in info
    assert info["features"]["action"]["fps"] == 30 and "fps" not in info["features"][CAMERA]
    assert info["data_path"] == "data/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet"
    ds = LeRobotDataset("t/conv", root=tmp_path / "out")
    decoder = VideoDecoder()
    for ep in range(3):
        src = v21 / f"videos/chunk-000/{CAMERA}/episode_{ep:06d}.mp4"
        expected = decoder.decode(src, [i / 30 for i in range(5)], 1e-4)
        import pyarrow.parquet as pq

        table = pq.read_table(v21 / f"data/chunk-000/episode_{ep:06d}.parquet")
        state = np.stack(table.column("observation.state").to_pylist())
        for i in range(5):
            item = ds[ep * 5 + i]
            np.testing.assert_array_equal(item["observation.state"], state[i])
            np.testing.assert_array_equal(
                (item[CAMERA] * 255).round().astype(np.uint8), expected[i].transpose(2, 0, 1)
            )
            assert item["episode_index"] == ep and item["index"] == ep * 5 + i
    # stats: aggregate of episodes_stats.jsonl; episodes rows carry the per-episode stats
    assert meta.stats["index"]["max"].tolist() == [14]
    assert meta.episode_stats()[2]["index"]["min"].tolist() == [10]


def test_convert_rejects_non_v21(v21, tmp_path):
    with pytest.raises(DatasetFormatError, match="codebase_version is 'v3.0'"):
        convert_v21(convert_v21(v21, tmp_path / "v30").root, tmp_path / "x")
    broken = tmp_path / "broken"
    import shutil

    shutil.copytree(v21, broken)
    (broken / "data/chunk-000/episode_000001.parquet").unlink()
    with pytest.raises(DatasetFormatError, match="episode_000001.parquet not found"):
        convert_v21(broken, tmp_path / "y")
    assert not (tmp_path / "y").exists()


def test_convert_command(v21, tmp_path, capsys):
    assert main(["dataset", "convert", str(v21), "--output", str(tmp_path / "o")]) == 0
    assert "3 episodes, 15 frames" in capsys.readouterr().out


@pytest.mark.peer
def test_convert_agrees_with_lerobot(v21, tmp_path, run_peer, compare_with_peer):
    ours = convert_v21(v21, tmp_path / "ours")
    peer = run_peer("0.6.1", "lerobot_convert_v21.py", str(v21), str(tmp_path / "peer"))
    rows = ours.episodes.table.to_pylist()
    assert len(rows) == len(peer["episodes"])
    for a, b in zip(rows, peer["episodes"]):
        for key, value in b.items():
            if key.endswith("_timestamp"):
                assert a[key] == pytest.approx(value, abs=1e-6), key
            else:
                assert a[key] == value, key
    ours_info = json.loads((tmp_path / "ours/meta/info.json").read_text())
    assert ours_info["features"] == peer["info"]["features"]
    for key in ("total_episodes", "total_frames", "total_tasks", "fps", "data_path", "video_path"):
        assert ours_info[key] == peer["info"][key], key
    for feature, stats in peer["stats"].items():
        for stat, value in stats.items():
            np.testing.assert_allclose(ours.stats[feature][stat], value, rtol=1e-6, atol=1e-9)
    # LeRobot reads our converted dataset with the same frames
    compare_with_peer(tmp_path / "ours", tmp_path / "peer.npz")


@pytest.fixture(scope="module")
def v21_images(tmp_path_factory):
    return write_v21(
        tmp_path_factory.mktemp("v21img") / "src", episodes=2, frames=4, camera="image"
    )


def test_convert_image_dataset(v21_images, tmp_path):
    import pyarrow.parquet as pq

    from lr_dataset import tabular

    meta = convert_v21(v21_images, tmp_path / "out")
    assert meta.video_path is None and meta.image_keys == [CAMERA]
    ds = LeRobotDataset("t/img", root=tmp_path / "out")
    table = pq.read_table(v21_images / "data/chunk-000/episode_000001.parquet")
    png = table.column(CAMERA)[2].as_py()["bytes"]
    expected = tabular.decode_png(png).transpose(2, 0, 1)
    np.testing.assert_array_equal((ds[6][CAMERA] * 255).round().astype(np.uint8), expected)


@pytest.mark.peer
def test_convert_image_dataset_agrees_with_lerobot(
    v21_images, tmp_path, run_peer, compare_with_peer
):
    ours = convert_v21(v21_images, tmp_path / "ours")
    peer = run_peer("0.6.1", "lerobot_convert_v21.py", str(v21_images), str(tmp_path / "peer"))
    assert ours.episodes.table.to_pylist() == peer["episodes"]
    compare_with_peer(tmp_path / "ours", tmp_path / "peer.npz")


def test_the_converter_uses_the_same_check(tmp_path):
    from lr_dataset.errors import FeatureSpecError

    src = write_v21(tmp_path / "v21", episodes=1, frames=3, camera="image")
    info = json.loads((src / "meta/info.json").read_text())
    info["features"]["observation.images.front"]["shape"] = [16, 16, 4]
    (src / "meta/info.json").write_text(json.dumps(info))
    with pytest.raises(FeatureSpecError, match="'observation.images.front'.*1 or 3 channels"):
        convert_v21(src, tmp_path / "out")
    assert not (tmp_path / "out").exists()
