"""The image server's JSON message: LeRobot's layout, channel convention and input checks."""

from __future__ import annotations

import base64
import json

import numpy as np
import pytest

pytest.importorskip("av")

from lr_core.errors import WireFormatError
from lr_robots.cameras.jpeg import decode_jpeg, encode_jpeg
from lr_robots.cameras.zmq.protocol import decode_image, encode_message, pick_image


def _red() -> np.ndarray:
    img = np.zeros((32, 48, 3), np.uint8)
    img[...] = (230, 20, 20)
    return img


def test_message_layout_and_colour_convention():
    message = encode_message({"head": (_red(), 123.5)}, quality=90)
    data = json.loads(message)
    assert set(data) == {"timestamps", "images"} and data["timestamps"] == {"head": 123.5}
    jpeg = base64.b64decode(data["images"]["head"])
    # on the wire red and blue are swapped, as cv2.imencode writes an RGB frame
    true_colour = decode_jpeg(jpeg)
    assert true_colour[5, 5, 2] > 200 and true_colour[5, 5, 0] < 50
    # decode_image gives BGR of the original frame, i.e. the frame once reversed
    bgr = decode_image(jpeg, 48, 32)
    assert np.abs(bgr[..., ::-1].astype(int) - _red()).max() < 8


def test_pick_image_by_name_else_the_first_and_empty_messages():
    message = encode_message({"a": (_red(), 1.0), "b": (_red(), 2.0)})
    assert pick_image(message, "b")[1] == 2.0
    assert pick_image(message, "missing")[1] == 1.0
    assert pick_image(json.dumps({"timestamps": {}, "images": {}}), "a") is None


@pytest.mark.parametrize(
    ("message", "error"),
    [
        ("not json", "not JSON"),
        (json.dumps([1, 2]), "no 'images'"),
        (json.dumps({"images": {"a": 5}}), "not a base64 string"),
        (json.dumps({"images": {"a": "%%%"}}), "not valid base64"),
    ],
)
def test_malformed_messages_raise_wire_format_errors(message, error):
    with pytest.raises(WireFormatError, match=error):
        pick_image(message, "a")


def test_decode_image_checks_size_and_data():
    jpeg = encode_jpeg(_red())
    with pytest.raises(WireFormatError, match="frame is 48x32, expected 64x48"):
        decode_image(jpeg, 64, 48)
    with pytest.raises(WireFormatError, match="not a JPEG"):
        decode_image(b"\x00" * 20)
