"""Configs of LeKiwi (``lekiwi`` on the robot, ``lekiwi_client`` on the laptop) and of its host
(``lr lekiwi-host``): LeRobot 0.6.1's fields, names and defaults (``config_lekiwi.py``).

Cheap to import: no bus, camera driver or ZeroMQ.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar, Literal

from pydantic import Field, field_validator

from lr_core.config import LrConfig
from lr_core.devices import CameraConfig, RobotConfig
from lr_robots.cameras.configs import Cv2Rotation
from lr_robots.cameras.pyav.config import AVCameraConfig
from lr_robots.teleoperators.keyboard.config import LEKIWI_TELEOP_KEYS


def lekiwi_cameras_config() -> dict[str, CameraConfig]:
    """LeKiwi's two cameras as LeRobot sets them up (front 640x480 turned 180°, wrist 480x640
    turned 90°, MJPG at 30 fps), read through FFmpeg (the ``av`` camera) instead of OpenCV."""
    return {
        "front": AVCameraConfig(
            index_or_path=Path("/dev/video0"), fps=30, width=640, height=480, fourcc="MJPG",
            rotation=Cv2Rotation.ROTATE_180,
        ),
        "wrist": AVCameraConfig(
            index_or_path=Path("/dev/video2"), fps=30, width=480, height=640, fourcc="MJPG",
            rotation=Cv2Rotation.ROTATE_90,
        ),
    }  # fmt: skip


class LeKiwiConfig(RobotConfig):
    """``--robot.type=lekiwi``: the robot itself, run on its Raspberry Pi by the host.

    - ``port``: the serial port of the one Feetech bus (arm ids 1-6, wheels 7-9).
    - ``disable_torque_on_disconnect``: torque off at the end (default), or ``False`` to stop
      the wheels and hold the arm where it is.
    - ``max_relative_target``: caps each step's arm motion (normalised units), one number or
      ``{"arm_<joint>": cap}`` for every arm motor.
    - ``cameras``: LeRobot's front and wrist cameras by default; ``{}`` for none.
    - ``use_degrees``: arm joints in degrees (default, as LeRobot 0.6) or -100..100.
    - ``num_read_retries``: immediate retries of a failed read.
    """

    type: Literal["lekiwi"] = "lekiwi"
    implementation: ClassVar[str] = "lr_robots.robots.lekiwi.robot:LeKiwi"

    port: str = "/dev/ttyACM0"
    disable_torque_on_disconnect: bool = True
    max_relative_target: float | dict[str, float] | None = None
    cameras: dict[str, CameraConfig] = Field(default_factory=lekiwi_cameras_config)
    use_degrees: bool = True
    num_read_retries: int = 2


class LeKiwiHostConfig(LrConfig):
    """``--host.*`` of ``lr lekiwi-host``: its ZeroMQ ports, run time, watchdog and rate."""

    port_zmq_cmd: int = Field(default=5555, ge=0, le=65535)
    """TCP port, bound on every interface, that receives commands (PULL; 0: a free port,
    printed)."""
    port_zmq_observations: int = Field(default=5556, ge=0, le=65535)
    """TCP port, bound on every interface, that sends observations (PUSH; 0: a free port,
    printed)."""
    connection_time_s: float | None = 30
    """The host exits after this many seconds (LeRobot's default; null: until Ctrl-C or
    SIGTERM)."""
    watchdog_timeout_ms: int = Field(default=500, gt=0)
    """The wheels stop when no valid command arrived for this many milliseconds."""
    max_loop_freq_hz: int = Field(default=30, gt=0)
    """Rate of the host loop (commands applied, observations sent), in Hz."""

    @field_validator("connection_time_s")
    @classmethod
    def _positive(cls, value: float | None) -> float | None:
        if value is not None and not value > 0:
            raise ValueError(f"must be positive (or null to run until stopped), got {value}")
        return value


class LeKiwiServerConfig(LrConfig):
    """``lr lekiwi-host --robot.id=my_kiwi --robot.port=/dev/ttyACM0 --host.connection_time_s=600``
    (also ``python -m lr_robots.robots.lekiwi.lekiwi_host``, LeRobot's module form)."""

    robot: LeKiwiConfig = Field(default_factory=LeKiwiConfig)
    host: LeKiwiHostConfig = Field(default_factory=LeKiwiHostConfig)


class LeKiwiClientConfig(RobotConfig):
    """``--robot.type=lekiwi_client --robot.remote_ip=<the Pi's address>``: LeKiwi seen from the
    laptop, through the host.
    """

    type: Literal["lekiwi_client"] = "lekiwi_client"
    implementation: ClassVar[str] = "lr_robots.robots.lekiwi.lekiwi_client:LeKiwiClient"

    remote_ip: str
    """Address of the LeKiwi's Raspberry Pi, where lr lekiwi-host runs."""
    port_zmq_cmd: int = Field(default=5555, ge=1, le=65535)
    """The host's command port (its --host.port_zmq_cmd)."""
    port_zmq_observations: int = Field(default=5556, ge=1, le=65535)
    """The host's observation port (its --host.port_zmq_observations)."""
    teleop_keys: dict[str, str] = Field(default_factory=lambda: dict(LEKIWI_TELEOP_KEYS))
    """Keys that drive the base when the teleoperator sends keys: forward, backward, left,
    right, rotate_left, rotate_right, speed_up, speed_down, quit."""
    cameras: dict[str, CameraConfig] = Field(default_factory=lekiwi_cameras_config)
    """The host's cameras, for their names and frame sizes only (frames come from the host);
    must match the host's --robot.cameras."""
    polling_timeout_ms: int = Field(default=15, ge=0)
    """How long get_observation waits for a new observation before serving the last one, in
    milliseconds."""
    connect_timeout_s: float = Field(default=5, gt=0)
    """How long connect waits for the host's first observation, in seconds."""
