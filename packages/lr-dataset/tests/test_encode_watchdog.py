"""A thread encoder (``EpisodeEncoder``: h264's default, libsvtav1 with
``encoder_process=False``) that stops answering raises a clear error instead of hanging the
recorder."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from lr_dataset.dataset import LeRobotDataset
from lr_dataset.errors import VideoEncoderError
from lr_dataset.testing import features, frame
from lr_dataset.video import VideoEncoderConfig
from lr_dataset.video.encode import EpisodeEncoder
from lr_dataset.video.encoder_gate import SVT_AV1_GATE


@pytest.fixture
def stuck(monkeypatch):
    """Make one step of every EpisodeEncoder block (as a hung SVT-AV1 call does) until the
    test ends; yields a function choosing the step ("the flush", "encoding frame 2"...)."""
    release = threading.Event()
    chosen: list[str] = []
    original = EpisodeEncoder._call

    def call(self, what, fn, *args):
        if what in chosen:
            self._busy = (what, time.monotonic())
            release.wait(30)
        return original(self, what, fn, *args)

    monkeypatch.setattr(EpisodeEncoder, "_call", call)
    yield chosen.append
    release.set()


def _frames(n: int) -> list[np.ndarray]:
    return [np.full((32, 32, 3), (20 * i) % 256, np.uint8) for i in range(n)]


def test_a_stuck_flush_raises_naming_the_file_the_codec_and_the_step(tmp_path, stuck):
    stuck("the flush")
    path = tmp_path / "front.mp4"
    encoder = EpisodeEncoder(path, 30, VideoEncoderConfig(), watchdog_s=0.5)
    for f in _frames(3):
        encoder.put(f)
    started = time.monotonic()
    with pytest.raises(VideoEncoderError, match=r"front\.mp4 with libsvtav1: the flush has not"):
        encoder.finish()
    assert time.monotonic() - started < 10 and encoder.hung
    with pytest.raises(VideoEncoderError, match="stuck"):  # cancel says so too
        encoder.cancel()
    assert SVT_AV1_GATE.state()["encoding"] == 0  # given up: other encoders may go on


def test_a_stuck_frame_stops_put_once_the_queue_is_full(tmp_path, stuck):
    stuck("encoding frame 1")
    encoder = EpisodeEncoder(tmp_path / "wrist.mp4", 30, VideoEncoderConfig(), max_queue=2,
                             watchdog_s=0.5)  # fmt: skip
    started = time.monotonic()
    with pytest.raises(VideoEncoderError, match=r"wrist\.mp4 with libsvtav1: encoding frame 1"):
        for f in _frames(50):
            encoder.put(f)
    assert time.monotonic() - started < 10


def test_a_hung_encoder_fails_its_episode_and_keeps_the_earlier_ones(tmp_path, stuck):
    root = tmp_path / "ds"
    ds = LeRobotDataset.create("t/x", 30, features(), root=root)
    ds.writer.encoder_process = False  # the thread encoder (a hung process: test_encoder_process)
    for i in range(4):
        ds.add_frame(frame(0, i))
    ds.save_episode()
    ds.writer.encoder_watchdog_s = 0.5
    stuck("the flush")
    for i in range(4):
        ds.add_frame(frame(1, i))
    with pytest.raises(VideoEncoderError, match=r"episode-000001\.mp4 with libsvtav1.*intact"):
        ds.save_episode()
    ds.finalize()  # returns: nothing waits for the stuck thread
    back = LeRobotDataset("t/x", root=root)
    assert back.meta.total_episodes == 1 and len(back) == 4
    assert back[3]["observation.images.front"].shape == (3, 32, 48)
    assert (root / ".staging").is_dir()  # what the stuck encoder wrote stays for inspection
