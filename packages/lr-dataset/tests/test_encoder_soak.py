"""Soak: several libsvtav1 encoders of different sizes in one process, fed from threads, opened,
flushed and closed again and again (what a multi-camera recording does every episode)."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from lr_dataset.video import VideoEncoderConfig
from lr_dataset.video.encode import EpisodeEncoder
from lr_dataset.video.encoder_gate import SVT_AV1_GATE
from lr_dataset.video.files import probe

SIZES = [(32, 48), (64, 64), (16, 24)]  # different sizes: SVT-AV1 MR 2603's hazard


def _feed(encoder: EpisodeEncoder, frames: np.ndarray, errors: list[BaseException]) -> None:
    try:
        for f in frames:
            encoder.put(f)
    except BaseException as exc:  # reported by the test
        errors.append(exc)


@pytest.mark.slow
def test_three_encoders_in_threads_open_flush_and_close_every_episode(tmp_path):
    rng = np.random.default_rng(0)
    frames = {s: rng.integers(0, 255, (12, *s, 3), dtype=np.uint8) for s in SIZES}
    for episode in range(12):
        encoders = [  # all created before any frame (the gate's rule)
            EpisodeEncoder(
                tmp_path / f"cam{k}-{episode}.mp4",
                30,
                VideoEncoderConfig(),
                max_queue=4,
                watchdog_s=60,
            )
            for k in range(len(SIZES))
        ]
        errors: list[BaseException] = []
        n = 6 + episode % 7
        threads = [
            threading.Thread(target=_feed, args=(e, frames[s][:n], errors))
            for e, s in zip(encoders, SIZES, strict=True)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert not errors
        for encoder in encoders:
            encoder.stop()
        for encoder, size in zip(encoders, SIZES, strict=True):
            assert encoder.finish() is not None  # raises VideoEncoderError if it hung
            info = probe(encoder.path)
            assert (info["video.height"], info["video.width"]) == size
    assert SVT_AV1_GATE.state() == {"announced": 0, "encoding": 0, "stopped": 0, "exclusive": False}
