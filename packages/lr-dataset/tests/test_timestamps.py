"""Long episodes and odd frame rates: float32 timestamps never decide which frame is read."""

from __future__ import annotations

import numpy as np
import pytest

from lr_dataset.testing import frame_value, write_long_episode, write_sparse_video
from lr_dataset.timestamps import float32_slack, frame_times, is_frame_time

FPS_VALUES = (1, 3, 7, 13, 24, 29, 30, 60, 90, 240, 1000)


@pytest.mark.parametrize("fps", FPS_VALUES)
def test_frame_times_are_exact_at_any_length(fps):
    collide = 3 * 2**23 + np.arange(4)  # float32 spacing > 1/fps there: timestamps collide
    n = np.array([0, 1, 2**11 * fps + 1, 2**22 + 3, *collide, 10**9 + 7], np.int64)
    stored = (n / fps).astype(np.float32)  # what the writer stores
    times, slack = frame_times(stored, n, fps)
    assert times.tolist() == (n / fps).tolist() and slack.tolist() == [0.0] * len(n)
    # consecutive frames keep distinct times where their float32 timestamps collide
    assert len(set(stored[4:8].tolist())) < 4 and np.all(np.diff(times[4:8]) > 0)


def test_explicit_timestamps_keep_their_value_with_float32_slack():
    stored = np.array([0.0, 0.7, 3000.1234], np.float32)  # not frame_index / fps
    times, slack = frame_times(stored, np.array([0, 1, 2]), 30)
    assert times[0] == 0.0 and slack[0] == 0.0  # frame 0 is at 0 either way
    assert times[2] == float(stored[2]) and slack[2] == float32_slack(stored[2])
    assert 1e-4 < float(np.spacing(np.float32(3000.1234))) < 3e-4


def test_the_writer_accepts_float32_frame_times():
    """add_frame's check: frame 61441 at 30 fps given as the float32 of its time."""
    n, fps = 61_441, 30
    assert abs(float(np.float32(n / fps)) - n / fps) > 1e-4
    assert is_frame_time(float(np.float32(n / fps)), n, fps)
    assert is_frame_time(n / fps + 5e-5, n, fps)
    assert not is_frame_time((n + 1) / fps, n, fps)


@pytest.mark.parametrize(("fps", "seconds"), [(30, 2100), (7, 2400), (13, 4100)])
def test_long_episode_reads_the_right_frames(tmp_path, fps, seconds):
    """Past 2048 s the stored float32 timestamps are further than tolerance_s from the frames;
    every frame still reads, and it is the right one (also inside delta windows)."""
    from lr_dataset.dataset import LeRobotDataset

    length = seconds * fps
    tail = list(range(length - 40, length))
    root = write_long_episode(tmp_path / "ds", fps=fps, length=length, video_frames=[0, *tail])
    stored = (np.array(tail) / fps).astype(np.float32)
    assert np.abs(stored - np.array(tail) / fps).max() > 1e-4  # the float32 column is off
    ds = LeRobotDataset(
        "t/long",
        root=root,
        delta_timestamps={"observation.images.front": [-2 / fps, -1 / fps, 0.0]},
        return_uint8=True,
    )
    for i in tail[2:]:
        item = ds[i]
        assert int(item["frame_index"]) == i
        values = item["observation.images.front"][:, 0, 8, 8].astype(int)
        expected = [frame_value(j) for j in (i - 2, i - 1, i)]
        assert np.abs(values - expected).max() <= 3, (i, values.tolist(), expected)


def test_decoder_at_times_where_float32_frames_collide(tmp_path):
    """Frames 3 * 2**23 + k at 1000 fps (7 h): their float32 timestamps collide, exact times
    decode to the right frames."""
    from lr_dataset.video import VideoDecoder

    fps, first = 1000, 3 * 2**23
    frames = [first + k for k in range(6)]
    path = tmp_path / "v.mp4"
    write_sparse_video(path, fps, frames)
    stored = (np.array(frames) / fps).astype(np.float32)
    assert len(set(stored.tolist())) < len(frames)
    times, _ = frame_times(stored, np.array(frames), fps)
    got = VideoDecoder().decode(path, times.tolist(), 1e-4)
    assert np.abs(got[:, 8, 8, 0].astype(int) - [frame_value(i) for i in frames]).max() <= 3


@pytest.mark.slow
@pytest.mark.parametrize("fps", [7])
def test_recorded_long_episode_reads_back(tmp_path, fps):
    """Through the writer: an episode past 2048 s at 7 fps (14,400 tiny frames) reads back;
    there the float32 timestamps of some frames are more than 1e-4 s off."""
    from lr_dataset.dataset import LeRobotDataset

    vec = {"dtype": "float32", "shape": (1,), "names": ["x"]}
    cam = {"dtype": "video", "shape": (16, 16, 3), "names": ["height", "width", "channels"]}
    root = tmp_path / "ds"
    ds = LeRobotDataset.create(
        "me/long",
        fps=fps,
        root=root,
        vcodec="h264",
        features={"observation.state": vec, "observation.images.front": cam},
    )
    length = 2048 * fps + 40
    tail = np.arange(length - 30, length)
    assert np.abs((tail / fps).astype(np.float32) - tail / fps).max() > 1e-4
    for i in range(length):
        image = np.full((16, 16, 3), frame_value(i), np.uint8)
        frame = {"observation.state": np.float32([i]), "observation.images.front": image}
        if i % 2:  # half of them give the float32 timestamp LeRobot code passes around
            frame["timestamp"] = np.float32(i / fps)
        ds.add_frame({**frame, "task": "t"})
    ds.save_episode()
    ds.finalize()
    ds = LeRobotDataset("me/long", root=root, return_uint8=True)
    for i in [0, 1, *tail.tolist()]:
        value = int(ds[i]["observation.images.front"][0, 8, 8])
        assert abs(value - frame_value(i)) <= 3, i
