"""An image server: publishes lr cameras over ZeroMQ in LeRobot 0.6.1's message layout.

LeRobot's ``ImageServer`` reads OpenCV cameras; this one serves any lr camera (``av``,
``opencv``, ``synthetic``...). Each tick (``fps`` a second) it takes every camera's newest
frame (``read_latest``), JPEG-encodes the ones not sent before and publishes one JSON message
on a PUB socket bound to ``tcp://<host>:<port>`` (``SNDHWM`` 20, as LeRobot). Clients:
:class:`lr_robots.cameras.zmq.camera.ZMQCamera`, or LeRobot's ``ZMQCamera``.

Usage::

    with ImageServer({"head": camera}, port=5555) as server:  # publishes in a thread
        ...

or ``lr serve-cameras --cameras='{"head": {"type": "av", "index_or_path": 0}}'``.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Mapping
from types import TracebackType
from typing import Any, Self

from lr_core.camera import Camera
from lr_core.errors import require
from lr_robots.cameras.configs import ColorMode
from lr_robots.cameras.zmq.protocol import encode_message

logger = logging.getLogger(__name__)


class ImageServer:
    """Publishes ``cameras`` (connected or not; :meth:`start` connects them) at ``fps``.

    ``quality`` is the JPEG quality (LeRobot: 80). ``port=0`` binds a free port, read back from
    :attr:`port`.
    """

    def __init__(
        self,
        cameras: Mapping[str, Camera],
        port: int = 5555,
        fps: float = 30,
        quality: int = 80,
        host: str = "*",
    ) -> None:
        self.cameras = dict(cameras)
        self.fps = fps
        self.quality = quality
        zmq: Any = require("zmq", "zmq", "lr-robots")
        self._zmq = zmq
        self.context = zmq.Context()
        self.socket = self.context.socket(zmq.PUB)
        self.socket.setsockopt(zmq.SNDHWM, 20)
        self.socket.setsockopt(zmq.LINGER, 0)
        if port == 0:
            self.port = self.socket.bind_to_random_port(f"tcp://{host}")
        else:
            self.socket.bind(f"tcp://{host}:{port}")
            self.port = port
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last: dict[str, float | int] = {}
        self._owned: list[Camera] = []
        #: Messages published so far.
        self.published = 0

    def start(self) -> None:
        """Connect the cameras not yet connected and publish in a background thread."""
        for camera in self.cameras.values():
            if not camera.is_connected:
                camera.connect()
                self._owned.append(camera)
        self._stop.clear()
        self._thread = threading.Thread(target=self.run, name="image-server", daemon=True)
        self._thread.start()

    def publish_once(self) -> bool:
        """Publish the frames that are new since the last call; ``False`` if none was."""
        now_wall, now_mono = time.time(), time.perf_counter()
        frames = {}
        for name, camera in self.cameras.items():
            try:
                frame = camera.read_latest(max_age_ms=10_000)
            except (TimeoutError, RuntimeError) as exc:
                logger.debug("image server: %s has no fresh frame: %s", name, exc)
                continue
            stamp = getattr(camera, "latest_timestamp", None)
            key = stamp if stamp is not None else id(frame)
            if self._last.get(name) == key:
                continue
            self._last[name] = key
            capture = now_wall - (now_mono - stamp) if stamp is not None else now_wall
            if getattr(camera, "color_mode", ColorMode.RGB) == ColorMode.BGR:
                frame = frame[..., ::-1]
            frames[name] = (frame, capture)
        message = encode_message(frames, quality=self.quality)
        with contextlib.suppress(self._zmq.Again):
            self.socket.send_string(message, self._zmq.NOBLOCK)
            self.published += 1
        return bool(frames)

    def run(self) -> None:
        """Publish every ``1 / fps`` s until :meth:`stop` (or Ctrl-C when run in front)."""
        period = 1.0 / self.fps
        next_tick = time.perf_counter()
        while not self._stop.is_set():
            self.publish_once()
            next_tick += period
            delay = next_tick - time.perf_counter()
            if delay > 0:
                self._stop.wait(delay)
            else:
                next_tick = time.perf_counter()

    def stop(self) -> None:
        """Stop publishing, disconnect the cameras :meth:`start` connected, close the socket."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        for camera in self._owned:
            if camera.is_connected:
                camera.disconnect()
        self._owned.clear()
        if not self.socket.closed:
            self.socket.close(linger=0)
            self.context.term()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
