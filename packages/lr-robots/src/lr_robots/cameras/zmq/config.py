"""Config of the ``zmq`` network camera (cheap to import): LeRobot 0.6.1's fields."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from lr_robots.cameras.configs import FrameCameraConfig


class ZMQCameraConfig(FrameCameraConfig):
    """A camera whose frames come from an image server over ZeroMQ (a robot's head camera).

    - ``server_address``/``port``: the publisher (``tcp://<server_address>:<port>``).
    - ``camera_name``: which camera of the server's messages to show (the first one if the
      server has no camera of this name).
    - ``timeout_ms``: how long a read may wait for the next message.
    - ``width``/``height``: ``None`` takes them from the first frame received.
    """

    type: Literal["zmq"] = "zmq"
    implementation: ClassVar[str] = "lr_robots.cameras.zmq.camera:ZMQCamera"

    server_address: str = Field(min_length=1)
    port: int = Field(default=5555, ge=1, le=65535)
    camera_name: str = "zmq_camera"
    timeout_ms: int = Field(default=5000, gt=0)
