"""Fixtures for camera tests: real MP4 files written with PyAV."""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest


def write_video(path: Path, frames: list[np.ndarray], fps: int, codec: str = "libx264") -> Path:
    """Encode RGB ``frames`` ``(H, W, 3)`` into ``path`` at ``fps`` (yuv420p, near-lossless)."""
    import av

    h, w = frames[0].shape[:2]
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=Fraction(fps))
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
        stream.options = {"crf": "10", "g": "10"}
        for image in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


@pytest.fixture
def stamped_video(tmp_path: Path) -> Callable[..., Path]:
    """``make(n, fps, width, height)`` -> an MP4 of ``n`` synthetic frames stamped 0..n-1."""
    from lr_robots.cameras.synthetic.pattern import PatternGenerator

    def make(n: int = 30, fps: int = 30, width: int = 160, height: int = 128) -> Path:
        gen = PatternGenerator(width, height)
        frames = [gen.frame(i, float(i)) for i in range(n)]
        return write_video(tmp_path / f"stamped_{n}_{fps}_{width}x{height}.mp4", frames, fps)

    return make
