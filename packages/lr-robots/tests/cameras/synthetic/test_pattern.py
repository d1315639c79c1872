"""The synthetic stamp decodes in every orientation and channel order, and rejects noise."""

from __future__ import annotations

import numpy as np
import pytest

from lr_robots.cameras.synthetic.pattern import PatternGenerator, block_size, decode_stamp


@pytest.mark.parametrize(("width", "height"), [(640, 480), (480, 640), (64, 48), (32, 32)])
def test_stamp_round_trips_in_every_orientation(width, height):
    gen = PatternGenerator(width, height)
    frame = gen.frame(123456, 1700000000.25)
    assert frame.shape == (height, width, 3) and frame.dtype == np.uint8
    for k in range(4):
        assert decode_stamp(np.rot90(frame, k)) == (123456, 1700000000.25)
    assert decode_stamp(frame[..., ::-1]) == (123456, 1700000000.25)


def test_stamp_survives_noise_and_rejects_other_images():
    frame = PatternGenerator(640, 480).frame(7, 12.5).astype(np.int16)
    rng = np.random.default_rng(0)
    noisy = np.clip(frame + rng.integers(-40, 40, frame.shape), 0, 255).astype(np.uint8)
    assert decode_stamp(noisy) == (7, 12.5)
    assert decode_stamp(rng.integers(0, 256, (480, 640, 3), dtype=np.uint8)) is None
    assert decode_stamp(np.zeros((480, 640, 3), np.uint8)) is None


def test_pattern_moves_between_frames_and_small_frames_are_refused():
    gen = PatternGenerator(160, 120)
    a, b = gen.frame(0, 0.0), gen.frame(1, 0.0)
    assert not np.array_equal(a[64:], b[64:])
    with pytest.raises(ValueError, match="too small"):
        block_size(31, 100)
