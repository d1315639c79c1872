"""JPEG through PyAV: round trip, the cv2-style channel swap, and untrusted input."""

from __future__ import annotations

import struct

import numpy as np
import pytest

pytest.importorskip("av")

from lr_robots.cameras.jpeg import decode_jpeg, encode_jpeg, jpeg_size, qscale


def _image() -> np.ndarray:
    img = np.zeros((48, 64, 3), np.uint8)
    img[:, :32] = (220, 30, 30)
    img[:, 32:] = (30, 30, 220)
    return img


def test_round_trip_keeps_colours_and_size():
    img = _image()
    data = encode_jpeg(img, quality=95)
    assert jpeg_size(data) == (64, 48)
    out = decode_jpeg(data)
    assert out.shape == img.shape and np.abs(out.astype(int) - img).mean() < 4


def test_bgr24_swaps_red_and_blue_like_cv2_imencode_of_rgb():
    out = decode_jpeg(encode_jpeg(_image(), pixel_format="bgr24"))
    assert out[10, 10, 2] > 180 and out[10, 10, 0] < 60  # red became blue


def test_quality_maps_to_qscale():
    assert [qscale(q) for q in (100, 90, 80, 50, 1)] == [1, 2, 3, 7, 13]
    with pytest.raises(ValueError, match="1..100"):
        qscale(0)
    assert len(encode_jpeg(_image(), quality=20)) < len(encode_jpeg(_image(), quality=95))


def test_untrusted_data_is_refused_before_decoding():
    with pytest.raises(ValueError, match="not a JPEG"):
        decode_jpeg(b"GIF89a....")
    with pytest.raises(ValueError, match="corrupt JPEG"):
        decode_jpeg(b"\xff\xd8\x00\x00\x00\x00")
    # a forged frame header declaring 60000x60000 pixels
    sof = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, 60000, 60000, 1) + b"\x01\x11\x00"
    with pytest.raises(ValueError, match="60000x60000 pixels refused"):
        decode_jpeg(b"\xff\xd8" + sof + b"\xff\xd9")
