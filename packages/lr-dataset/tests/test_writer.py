"""Recording: validation, on-disk layout, rollover, image-only datasets, resume."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from lr_dataset.dataset import LeRobotDataset
from lr_dataset.errors import DatasetWriteError, FrameValidationError, VideoEncoderError
from lr_dataset.metadata import LeRobotDatasetMetadata
from lr_dataset.testing import features, frame, write_dataset
from lr_dataset.video import VideoEncoderConfig

FIXTURES = Path(__file__).parent / "fixtures"


def _new(tmp_path, camera="video", **kwargs):
    return LeRobotDataset.create(
        "t/x",
        30,
        features(camera=camera),
        root=tmp_path / "ds",
        use_videos=camera == "video",
        **kwargs,
    )


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda f: f.pop("action"), "missing feature.*'action'"),
        (lambda f: f.update(action=np.zeros(5, np.float32)), "'action'.*shape"),
        (lambda f: f.update(action=np.zeros(6, np.float64)), "'action'.*dtype float64"),
        (lambda f: f["observation.state"].__setitem__(2, np.nan), "'observation.state'.*NaN.*j2"),
        (lambda f: f["action"].__setitem__(0, np.inf), "'action'.*NaN or inf"),
        (lambda f: f.update(bogus=1), "unexpected key.*bogus"),
        (lambda f: f.update(index=3), "unexpected key.*index"),
        (lambda f: f.pop("task"), "'task'"),
        (
            lambda f: f.update({"observation.images.front": np.zeros((8, 8, 3), np.uint8)}),
            "'observation.images.front'.*shape",
        ),
    ],
)
def test_bad_frames_are_rejected_naming_the_key(tmp_path, change, match):
    ds = _new(tmp_path)
    ds.add_frame(frame(0, 0))
    bad = frame(0, 1)
    change(bad)
    with pytest.raises(FrameValidationError, match=match):
        ds.add_frame(bad)
    ds.add_frame(frame(0, 1))  # the rejected frame left nothing behind
    ds.save_episode()
    ds.finalize()
    back = LeRobotDataset("t/x", root=tmp_path / "ds")
    assert len(back) == 2 and back[1]["frame_index"] == 1


def test_timestamps_must_increase(tmp_path):
    ds = _new(tmp_path, camera=None)
    ds.add_frame({**frame(0, 0, camera=False), "timestamp": 0.5})
    with pytest.raises(FrameValidationError, match="timestamp.*not after"):
        ds.add_frame({**frame(0, 1, camera=False), "timestamp": 0.5})
    ds.add_frame({**frame(0, 1, camera=False), "timestamp": 0.53})
    ds.save_episode()
    ds.finalize()
    ts = LeRobotDataset("t/x", root=tmp_path / "ds")[1]["timestamp"]
    assert ts == pytest.approx(0.53)


def test_video_datasets_need_constant_rate_timestamps(tmp_path):
    ds = _new(tmp_path)
    with pytest.raises(FrameValidationError, match="constant rate"):
        ds.add_frame({**frame(0, 0), "timestamp": 0.25})


def test_save_without_frames_and_add_after_finalize(tmp_path):
    ds = _new(tmp_path)
    with pytest.raises(DatasetWriteError, match="no frames"):
        ds.save_episode()
    ds.finalize()
    with pytest.raises(DatasetWriteError, match="finalized"):
        ds.add_frame(frame(0, 0))


def test_reading_while_recording_is_refused(tmp_path):
    ds = _new(tmp_path)
    ds.add_frame(frame(0, 0))
    ds.save_episode()
    with pytest.raises(DatasetWriteError, match="finalize"):
        ds[0]
    ds.finalize()
    assert len(ds) == 1 and ds[0]["task"] == "pick the cube"


def test_layout_matches_lerobot(video_dataset):
    ours = pq.read_table(video_dataset / "data/chunk-000/file-000.parquet")
    theirs = pq.read_table(FIXTURES / "lerobot-0.6.1-video/data/chunk-000/file-000.parquet")
    assert ours.schema.remove_metadata() == theirs.schema.remove_metadata()
    assert pq.ParquetFile(video_dataset / "data/chunk-000/file-000.parquet").num_row_groups == 3
    ep_ours = pq.read_schema(video_dataset / "meta/episodes/chunk-000/file-000.parquet")
    ep_theirs = pq.read_schema(
        FIXTURES / "lerobot-0.6.1-video/meta/episodes/chunk-000/file-000.parquet"
    )
    assert set(ep_ours.names) == set(ep_theirs.names)
    for name in ep_theirs.names:
        assert ep_ours.field(name).type == ep_theirs.field(name).type, name
    meta = LeRobotDatasetMetadata("t/x", root=video_dataset)
    assert meta.episodes["videos/observation.images.front/from_timestamp"] == pytest.approx(
        [0.0, 0.2, 0.4]
    )
    info = meta.features["observation.images.front"].info
    assert info["video.codec"] == "av1" and info["video.g"] == 2 and info["video.preset"] == 12
    assert not (video_dataset / ".staging").exists()


def test_stats_json_holds_lerobot_keys(video_dataset):
    meta = LeRobotDatasetMetadata("t/x", root=video_dataset)
    theirs = LeRobotDatasetMetadata("p/x", root=FIXTURES / "lerobot-0.6.1-video")
    assert set(meta.stats) == set(theirs.stats)
    for key in meta.stats:
        assert set(meta.stats[key]) == set(theirs.stats[key]), key
        for stat in ("min", "max", "mean", "std"):
            assert meta.stats[key][stat].shape == theirs.stats[key][stat].shape
    # identical synthetic content: identical vector stats
    for key in ("observation.state", "action", "index", "frame_index"):
        for stat in ("min", "max", "mean", "std"):
            np.testing.assert_allclose(meta.stats[key][stat], theirs.stats[key][stat], rtol=1e-5)
    assert meta.stats["action"]["count"].tolist() == [18]


def test_image_dataset_stores_png_bytes(image_dataset):
    table = pq.read_table(image_dataset / "data/chunk-000/file-000.parquet")
    png = table.column("observation.images.front")[0].as_py()["bytes"]
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert not (image_dataset / "videos").exists()
    item = LeRobotDataset("t/x", root=image_dataset)[5]
    assert item["observation.images.front"].shape == (3, 16, 16)
    assert item["observation.images.front"].dtype == np.float32


def test_files_roll_over_at_the_size_limits(tmp_path):
    root = write_dataset(
        tmp_path / "ds",
        episodes=4,
        frames=6,
        h=64,
        w=64,
        data_files_size_in_mb=0.004,
        video_files_size_in_mb=0.003,
    )
    data = sorted(p.name for p in (root / "data/chunk-000").iterdir())
    videos = sorted(p.name for p in (root / "videos/observation.images.front/chunk-000").iterdir())
    assert len(data) > 1 and len(videos) > 1
    ds = LeRobotDataset("t/x", root=root)
    assert len(ds) == 24 and int(ds[23]["episode_index"]) == 3
    meta = ds.meta
    assert len(
        set(zip(meta.episodes["data/chunk_index"], meta.episodes["data/file_index"]))
    ) == len(data)


def test_chunks_roll_over(tmp_path):
    root = write_dataset(
        tmp_path / "ds",
        episodes=3,
        frames=3,
        chunks_size=2,
        data_files_size_in_mb=0.0001,
        video_files_size_in_mb=0.0001,
    )
    assert (root / "data/chunk-001/file-000.parquet").exists()
    assert len(LeRobotDataset("t/x", root=root)) == 9


def test_h264_option_and_missing_encoder(tmp_path):
    root = write_dataset(tmp_path / "h264", episodes=2, frames=4, vcodec="h264")
    meta = LeRobotDatasetMetadata("t/x", root=root)
    assert meta.features["observation.images.front"].info["video.codec"] == "h264"
    item = LeRobotDataset(
        "t/x", root=root, delta_timestamps={"observation.images.front": [-1 / 30, 0]}
    )[5]
    assert item["observation.images.front"].shape == (2, 3, 32, 48)
    with pytest.raises(VideoEncoderError, match="not available.*available"):
        _new(tmp_path / "x", video_encoder=VideoEncoderConfig(vcodec="libnotacodec"))
    assert not (tmp_path / "x/ds").exists()


def test_resume_adds_episodes_in_new_files(tmp_path):
    root = write_dataset(tmp_path / "ds", episodes=2, frames=4)
    ds = LeRobotDataset.resume("t/x", root=root)
    for i in range(5):
        ds.add_frame(frame(2, i))
    ds.save_episode()
    ds.finalize()
    assert (root / "data/chunk-000/file-001.parquet").exists()
    assert (root / "videos/observation.images.front/chunk-000/file-001.mp4").exists()
    back = LeRobotDataset(
        "t/x", root=root, delta_timestamps={"observation.images.front": [-1 / 30, 0]}
    )
    assert len(back) == 13 and back.meta.total_episodes == 3
    item = back[12]
    assert int(item["episode_index"]) == 2 and int(item["index"]) == 12
    assert back.meta.stats["action"]["count"].tolist() == [13]


def test_clear_episode_buffer_discards_frames(tmp_path):
    ds = _new(tmp_path)
    ds.add_frame(frame(0, 0, task="one"))
    ds.clear_episode_buffer()
    ds.add_frame(frame(0, 0, task="two"))
    ds.save_episode()
    ds.finalize()
    assert list(ds.meta.tasks) == ["two"] and len(ds) == 1


def test_lerobot_options_are_accepted_and_typos_are_not(tmp_path):
    from types import SimpleNamespace

    ds = LeRobotDataset.create(
        "t/x",
        30,
        features(),
        root=tmp_path / "a",
        image_writer_threads=4,
        batch_encoding_size=1,
        rgb_encoder=SimpleNamespace(vcodec="h264", g=2, crf=23),
    )
    assert ds.writer.video_encoder.vcodec == "h264" and ds.writer.video_encoder.crf == 23
    ds.finalize()
    with pytest.raises(TypeError, match="use_video"):
        LeRobotDataset.create("t/x", 30, features(), root=tmp_path / "b", use_video=True)


@pytest.mark.parametrize("camera", ["video", "image"])
def test_background_saves_overlap_the_next_episode_and_read_back_identically(tmp_path, camera):
    """save_episode(background=True) returns before the commit; the next episode is recorded
    meanwhile; every episode reads back as one saved in the foreground."""
    fg = write_dataset(tmp_path / "fg", episodes=3, frames=5, camera=camera)
    ds = _new(tmp_path, camera=camera)
    saved: list[int] = []
    ds.writer.on_saved = lambda index, seconds: saved.append(index)
    for ep in range(3):
        for i in range(5):
            ds.add_frame(frame(ep, i))
        assert ds.save_episode(background=True) == ep
    ds.wait_for_saves()
    assert saved == [0, 1, 2] and ds.writer.pending_saves == 0
    ds.finalize()
    back = LeRobotDataset("t/x", root=tmp_path / "ds")
    ref = LeRobotDataset("t/x", root=fg)
    assert len(back) == len(ref) == 15
    for i in range(15):
        a, b = back[i], ref[i]
        assert set(a) == set(b)
        for key in a:
            np.testing.assert_array_equal(np.asarray(a[key]), np.asarray(b[key]), err_msg=key)
    assert back.meta.stats["action"]["count"].tolist() == [15]


def test_a_failed_background_save_is_raised_and_stops_later_commits(tmp_path, monkeypatch):
    ds = _new(tmp_path)
    for ep in range(2):
        for i in range(3):
            ds.add_frame(frame(ep, i))
        if ep == 0:
            original = ds.writer._write_data

            def boom(table):
                raise OSError(28, "No space left on device")

            monkeypatch.setattr(ds.writer, "_write_data", boom)
        ds.save_episode(background=True)
    with pytest.raises(DatasetWriteError, match="background failed.*No space left"):
        ds.wait_for_saves()
    monkeypatch.setattr(ds.writer, "_write_data", original)
    with pytest.raises(DatasetWriteError, match="background failed"):
        ds.add_frame(frame(2, 0))
    with pytest.raises(DatasetWriteError, match="background failed"):
        ds.finalize()
    assert LeRobotDatasetMetadata("t/x", root=tmp_path / "ds").total_episodes == 0


def test_prepared_encoders_open_before_the_first_frame_and_write_the_same_episode(tmp_path):
    ref = write_dataset(tmp_path / "ref", episodes=2, frames=5)
    ds = _new(tmp_path)
    for ep in range(2):
        ds.prepare_episode()
        encoders = dict(ds.writer._encoders)
        assert encoders and all(e.opened.is_set() for e in encoders.values())
        for i in range(5):
            ds.add_frame(frame(ep, i))
        assert dict(ds.writer._encoders) == encoders  # the prepared ones took the frames
        ds.save_episode(background=True)
    ds.prepare_episode()  # prepared for an episode that never comes: nothing left behind
    ds.finalize()
    back, want = LeRobotDataset("t/x", root=tmp_path / "ds"), LeRobotDataset("t/x", root=ref)
    assert len(back) == len(want) == 10
    for i in range(10):
        np.testing.assert_array_equal(
            back[i]["observation.images.front"], want[i]["observation.images.front"]
        )
    assert not (tmp_path / "ds/.staging").exists()


@pytest.mark.parametrize("rollover", [False, True], ids=["shared-files", "new-files"])
def test_discarding_the_last_episode_leaves_the_dataset_as_if_it_never_was(tmp_path, rollover):
    """Record 0, 1, X (discarded), 2: the result reads as 0, 1, 2 recorded straight, whether X
    was appended to shared files or started new ones (tiny size limits)."""
    limits = {"data_files_size_in_mb": 1e-6, "video_files_size_in_mb": 1e-6} if rollover else {}
    ref = write_dataset(tmp_path / "ref", episodes=3, frames=5)
    ds = _new(tmp_path, **limits)
    for source in [0, 1, 7, 2]:
        for i in range(5):
            ds.add_frame(frame(source, i))
        ds.save_episode(background=True)
        if source == 7:
            assert ds.discard_last_episode() == 2
            with pytest.raises(DatasetWriteError, match="no episode saved by this session"):
                ds.discard_last_episode()  # one level only
    ds.finalize()
    back, want = LeRobotDataset("t/x", root=tmp_path / "ds"), LeRobotDataset("t/x", root=ref)
    assert back.meta.total_episodes == 3 and len(back) == len(want) == 15
    for i in range(15):
        a, b = back[i], want[i]
        for key in ("observation.state", "action", "observation.images.front", "index"):
            np.testing.assert_array_equal(np.asarray(a[key]), np.asarray(b[key]), err_msg=key)
    assert back.meta.stats["action"]["count"].tolist() == [15]
    np.testing.assert_allclose(back.meta.stats["action"]["mean"], want.meta.stats["action"]["mean"])
    from lr_dataset.recovery import repair

    assert not repair(tmp_path / "ds", "t/x").truncated_files  # nothing left to clean up


def test_discarding_the_only_episode_leaves_an_empty_dataset_that_resumes(tmp_path):
    ds = _new(tmp_path)
    for i in range(4):
        ds.add_frame(frame(0, i))
    ds.save_episode()
    ds.discard_last_episode()
    ds.finalize()
    assert LeRobotDatasetMetadata("t/x", root=tmp_path / "ds").total_episodes == 0
    again = LeRobotDataset.resume("t/x", root=tmp_path / "ds")
    for i in range(4):
        again.add_frame(frame(1, i))
    again.save_episode()
    again.finalize()
    assert len(LeRobotDataset("t/x", root=tmp_path / "ds")) == 4
