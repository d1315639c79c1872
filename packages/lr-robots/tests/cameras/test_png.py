"""The standard-library PNG writer reads back identically through FFmpeg's PNG decoder."""

from __future__ import annotations

import numpy as np
import pytest

from lr_robots.cameras.png import encode_png, save_png


def test_png_round_trips_through_ffmpeg(tmp_path):
    av = pytest.importorskip("av")
    image = np.random.default_rng(1).integers(0, 256, (37, 53, 3), dtype=np.uint8)
    path = save_png(image, tmp_path / "sub" / "frame.png")
    with av.open(str(path)) as container:
        decoded = next(container.decode(video=0)).to_ndarray(format="rgb24")
    assert np.array_equal(decoded, image)
    assert not list(path.parent.glob(".*.tmp"))


def test_png_refuses_other_arrays():
    with pytest.raises(ValueError, match=r"\(H, W, 3\) uint8"):
        encode_png(np.zeros((4, 4), np.uint8))
