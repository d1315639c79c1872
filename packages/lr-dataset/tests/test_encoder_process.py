"""Encoding in a child process: a hung encoder costs a short delay, not the episode.

Real encoder processes and real MP4s; the hang is the child's test hook (LR_ENCODER_TEST_HANG:
the child stops answering at the chosen step, as a hung SVT-AV1 does), detected by the
parent's deadline, the child SIGKILLed and the episode encoded again from its raw spool.
"""

from __future__ import annotations

import logging
import os
import signal
import threading

import av
import numpy as np
import pytest

from lr_dataset.dataset import LeRobotDataset
from lr_dataset.errors import VideoEncoderError
from lr_dataset.testing import CAMERA, features, frame, frames_of
from lr_dataset.video import VideoEncoderConfig, encoder_process
from lr_dataset.video.encoder_process import TEST_HANG_ENV, ProcessEpisodeEncoder
from lr_dataset.video.files import probe

H, W = 32, 48


def _record(ds: LeRobotDataset, ep: int, n: int, background: bool = False) -> None:
    for i in range(n):
        ds.add_frame(frame(ep, i))
    ds.save_episode(background=background)


def _close_to(decoded: np.ndarray, ep: int, i: int) -> bool:
    """A decoded CHW float frame is the synthetic frame (ep, i) up to AV1's loss."""
    want = frame(ep, i)[CAMERA].astype(np.float32) / 255.0
    got = np.asarray(decoded, dtype=np.float32).transpose(1, 2, 0)
    return float(np.abs(got - want).mean()) < 0.05


@pytest.mark.parametrize(
    ("step", "background"), [("flush", False), ("flush", True), ("frame:3", False), ("open", True)]
)
def test_a_hung_encoder_is_replaced_and_the_episode_saved_with_every_frame(
    tmp_path, monkeypatch, caplog, step, background
):
    before = set(threading.enumerate())
    root = tmp_path / "ds"
    ds = LeRobotDataset.create("t/x", 30, features(), root=root)
    ds.writer.encoder_watchdog_s = 1.0
    assert ds.writer.encoder_process  # libsvtav1's default
    _record(ds, 0, 5)
    monkeypatch.setenv(TEST_HANG_ENV, f"episode-000001,{step},1")  # the first attempt hangs
    with caplog.at_level(logging.WARNING, logger=encoder_process.__name__):
        _record(ds, 1, 12, background)
        _record(ds, 2, 4, background)  # recording goes on (meanwhile, with background saves)
        ds.writer.wait_for_saves()
    assert any("no answer after 1 s" in r.getMessage() for r in caplog.records)
    assert any("encoded from its 12 raw frames" in r.getMessage() for r in caplog.records)
    ds.finalize()
    assert not (root / ".staging").exists()
    left = set(threading.enumerate()) - before  # (threads other tests left may run on)
    assert not [t for t in left if t.name.startswith("lr-encode")]
    back = LeRobotDataset("t/x", root=root)
    assert back.meta.total_episodes == 3 and len(back) == 21
    items = frames_of(root, 1)
    assert len(items) == 12
    for i, item in enumerate(items):
        assert _close_to(item[CAMERA], 1, i), f"frame {i} of the recovered episode"


def test_a_hang_in_every_process_raises_and_keeps_the_raw_frames(tmp_path, monkeypatch):
    monkeypatch.setattr(encoder_process, "RETRIES", 1)
    root = tmp_path / "ds"
    ds = LeRobotDataset.create("t/x", 30, features(), root=root)
    ds.writer.encoder_watchdog_s = 0.5
    _record(ds, 0, 4)
    monkeypatch.setenv(TEST_HANG_ENV, "episode-000001,flush,99")
    for i in range(7):
        ds.add_frame(frame(1, i))
    with pytest.raises(VideoEncoderError) as caught:
        ds.save_episode()
    message = str(caught.value)
    assert "episode-000001.mp4 with libsvtav1: the flush: no answer after" in message
    assert "in each of 2 encoder processes" in message
    spool = root / ".staging" / f"{CAMERA}.episode-000001.{H}x{W}.rgb24"
    assert str(spool) in message
    raw = np.fromfile(spool, np.uint8).reshape(-1, H, W, 3)  # as the message says
    assert len(raw) == 7
    for i in range(7):
        np.testing.assert_array_equal(raw[i], frame(1, i)[CAMERA])
    ds.finalize()
    assert spool.exists()  # finalize keeps it
    back = LeRobotDataset.resume("t/x", root=root)  # repair keeps raw frames too
    assert spool.exists() and back.meta.total_episodes == 1
    monkeypatch.delenv(TEST_HANG_ENV)
    _record(back, 1, 3)  # the same episode index again: the kept frames are not overwritten
    back.finalize()
    assert len(np.fromfile(spool, np.uint8)) == 7 * H * W * 3
    assert LeRobotDataset("t/x", root=root).meta.total_episodes == 2


def test_a_killed_encoder_process_is_replaced(tmp_path, monkeypatch):
    """An encoder process that dies mid-episode (SIGKILL from outside) costs nothing."""
    frames = [frame(0, i)[CAMERA] for i in range(10)]
    encoder = ProcessEpisodeEncoder(tmp_path / "a.mp4", 30, VideoEncoderConfig(), size=(H, W))
    assert encoder.opened.wait(60)
    for f in frames[:4]:
        encoder.put(f)
    assert encoder.child_pid is not None
    os.kill(encoder.child_pid, signal.SIGKILL)
    for f in frames[4:]:
        encoder.put(f)
    assert encoder.finish() is not None
    assert probe(encoder.path)["video.height"] == H
    with av.open(str(encoder.path)) as container:
        decoded = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    assert len(decoded) == 10
    for got, want in zip(decoded, frames, strict=True):
        assert np.abs(got.astype(int) - want).mean() < 12
    assert encoder.failures  # the death was seen and recovered from


def test_cancel_deletes_the_partial_file_and_the_spool(tmp_path):
    encoder = ProcessEpisodeEncoder(
        tmp_path / "b.mp4", 30, VideoEncoderConfig(), spool_memory_bytes=H * W * 3
    )
    for i in range(5):
        encoder.put(frame(0, i)[CAMERA])
    encoder.cancel()
    assert list(tmp_path.iterdir()) == []


def test_a_stopped_encoder_process_is_killed_and_replaced(tmp_path):
    """SIGSTOP: the process neither reads nor answers, as a hung one (no test hook involved)."""
    frames = [frame(2, i)[CAMERA] for i in range(8)]
    encoder = ProcessEpisodeEncoder(
        tmp_path / "c.mp4", 30, VideoEncoderConfig(), size=(H, W), watchdog_s=1.0
    )
    assert encoder.opened.wait(60) and encoder.child_pid is not None
    stopped = encoder.child_pid
    os.kill(stopped, signal.SIGSTOP)
    for f in frames:
        encoder.put(f)
    assert encoder.finish() is not None
    assert encoder.failures and "no answer after 1 s" in encoder.failures[0]
    with av.open(str(encoder.path)) as container:
        assert sum(1 for _ in container.decode(video=0)) == 8
    with pytest.raises(ProcessLookupError):  # killed and reaped
        os.kill(stopped, 0)
