"""``zmq``: frames from an image server over ZeroMQ (LeRobot 0.6.1's ``ZMQCamera``).

A SUB socket (``CONFLATE``: only the newest message is kept) connects to
``tcp://server_address:port``; the capture thread polls it in short slices, so
``disconnect()`` never waits for a whole ``timeout_ms``. Messages are checked as untrusted
input (:mod:`lr_robots.cameras.zmq.protocol`); a bad message counts as a failed read. Messages
without a new image for this camera are skipped.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from lr_core.errors import require
from lr_robots.cameras.configs import ColorMode
from lr_robots.cameras.errors import CameraConnectionError
from lr_robots.cameras.threaded import ThreadedCamera
from lr_robots.cameras.zmq.config import ZMQCameraConfig
from lr_robots.cameras.zmq.protocol import MAX_MESSAGE_BYTES, decode_image, pick_image

#: Poll slice of the capture thread (ms).
POLL_MS = 50


class ZMQCamera(ThreadedCamera):
    """See the module docstring; config :class:`ZMQCameraConfig`."""

    config_class = ZMQCameraConfig
    source_color = ColorMode.BGR

    def __init__(self, config: ZMQCameraConfig) -> None:
        super().__init__(config)
        self.config: ZMQCameraConfig = config
        self.context: Any = None
        self.socket: Any = None
        #: Server-side capture time (``time.time()``) of :attr:`latest_frame`, if sent.
        self.latest_capture_time: float | None = None

    def _describe(self) -> str:
        cfg = self.config
        return f"{cfg.camera_name}@{cfg.server_address}:{cfg.port}"

    def _open(self) -> None:
        zmq: Any = require("zmq", "zmq", "lr-robots")
        self.context = zmq.Context()
        self.socket = self.context.socket(zmq.SUB)
        self.socket.setsockopt(zmq.LINGER, 0)
        self.socket.setsockopt(zmq.MAXMSGSIZE, MAX_MESSAGE_BYTES)
        self.socket.setsockopt(zmq.CONFLATE, 1)
        self.socket.setsockopt_string(zmq.SUBSCRIBE, "")
        self.socket.connect(f"tcp://{self.config.server_address}:{self.config.port}")
        if self.width is None or self.height is None:
            frame = self._receive(self.config.timeout_ms)
            self._set_source_size(frame.shape[1], frame.shape[0])
        if self.fps is None:
            self.fps = 30

    def _receive(self, timeout_ms: float) -> np.ndarray:
        zmq: Any = require("zmq", "zmq", "lr-robots")
        deadline = time.monotonic() + timeout_ms / 1000
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"{self}: no image within {self.config.timeout_ms} ms")
            if self._stop.is_set():
                raise CameraConnectionError(f"{self} is closing")
            if not self.socket.poll(min(POLL_MS, remaining * 1000), zmq.POLLIN):
                continue
            picked = pick_image(self.socket.recv(zmq.NOBLOCK), self.config.camera_name)
            if picked is None:
                continue
            jpeg, stamp = picked
            self.latest_capture_time = stamp
            return decode_image(jpeg, self.capture_width, self.capture_height)

    def _grab(self) -> np.ndarray:
        return self._receive(self.config.timeout_ms)

    def _close(self) -> None:
        if self.socket is not None:
            self.socket.close(linger=0)
            self.socket = None
        if self.context is not None:
            self.context.term()
            self.context = None

    @staticmethod
    def find_cameras() -> list[dict[str, Any]]:
        """Network cameras are configured, not discovered (as in LeRobot): none."""
        return []
