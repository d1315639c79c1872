"""The image server's message: one JSON string per publish, as LeRobot 0.6.1 sends it.

::

    {"timestamps": {"<camera>": <capture time, time.time() s>, ...},
     "images": {"<camera>": "<base64 JPEG>", ...}}

Only cameras with a frame newer than the last publish appear. LeRobot's server encodes its RGB
frames with ``cv2.imencode``, which takes them for BGR: the JPEG on the wire has red and blue
swapped, and its client's ``cv2.imdecode`` swaps them back. lr does the same on both sides
(:func:`encode_message` writes the swapped JPEG, :func:`decode_image` returns BGR = the JPEG's
true-colour RGB), so an lr client reads a LeRobot server and a LeRobot client reads an lr
server with correct colours.

Source: LeRobot 0.6.1 ``lerobot/cameras/zmq/image_server.py`` and ``camera_zmq.py``.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping

import numpy as np

from lr_core.errors import WireFormatError
from lr_robots.cameras.jpeg import decode_jpeg, encode_jpeg, jpeg_size

#: Largest message accepted from the network (bytes).
MAX_MESSAGE_BYTES = 64 * 1024 * 1024


def encode_message(frames: Mapping[str, tuple[np.ndarray, float]], quality: int = 80) -> str:
    """The JSON message for ``{camera: (RGB frame (H, W, 3) uint8, capture time)}``."""
    timestamps: dict[str, float] = {}
    images: dict[str, str] = {}
    for name, (frame, stamp) in frames.items():
        jpeg = encode_jpeg(frame, quality=quality, pixel_format="bgr24")  # as cv2.imencode
        images[name] = base64.b64encode(jpeg).decode("ascii")
        timestamps[name] = float(stamp)
    return json.dumps({"timestamps": timestamps, "images": images})


def pick_image(message: str | bytes, camera_name: str) -> tuple[bytes, float | None] | None:
    """The JPEG bytes (and capture time) of ``camera_name`` in ``message``, else of its first
    camera; ``None`` if the message carries no image (nothing new on the server).

    Raises:
        WireFormatError: not JSON, no ``images`` mapping, or an image that is not base64.
    """
    if len(message) > MAX_MESSAGE_BYTES:
        raise WireFormatError(f"image message of {len(message)} bytes exceeds the limit")
    try:
        data = json.loads(message)
    except (ValueError, UnicodeDecodeError) as exc:
        raise WireFormatError(f"image message is not JSON: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("images"), dict):
        raise WireFormatError("image message has no 'images' mapping")
    images: dict = data["images"]
    if not images:
        return None
    name = camera_name if camera_name in images else next(iter(images))
    encoded = images[name]
    if not isinstance(encoded, str):
        raise WireFormatError(f"image {name!r} is not a base64 string")
    try:
        jpeg = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise WireFormatError(f"image {name!r} is not valid base64: {exc}") from None
    stamps = data.get("timestamps")
    stamp = stamps.get(name) if isinstance(stamps, dict) else None
    return jpeg, float(stamp) if isinstance(stamp, int | float) else None


def decode_image(jpeg: bytes, width: int | None = None, height: int | None = None) -> np.ndarray:
    """The frame in a server's JPEG, in **BGR** order of the server's RGB frame (module
    docstring); the size is checked before decoding when ``width``/``height`` are given.

    Raises:
        WireFormatError: not a JPEG, the wrong size, or undecodable.
    """
    try:
        w, h = jpeg_size(jpeg)
        if width is not None and height is not None and (w, h) != (width, height):
            raise WireFormatError(f"frame is {w}x{h}, expected {width}x{height}")
        return decode_jpeg(jpeg, pixel_format="rgb24")
    except ValueError as exc:
        raise WireFormatError(str(exc)) from None
