"""LeKiwi's configs: LeRobot 0.6.1's fields and defaults, cheap to import, parsed from flags."""

from __future__ import annotations

import subprocess
import sys

import pytest

from lr_core.config import parse_cli
from lr_core.devices import RobotConfig
from lr_core.errors import ConfigError
from lr_robots.robots.lekiwi import LeKiwiClientConfig, LeKiwiConfig, LeKiwiServerConfig


def test_defaults_are_lerobots():
    host = LeKiwiServerConfig().host
    assert (host.port_zmq_cmd, host.port_zmq_observations) == (5555, 5556)
    assert (host.connection_time_s, host.watchdog_timeout_ms, host.max_loop_freq_hz) == (
        30, 500, 30,
    )  # fmt: skip
    robot = LeKiwiConfig()
    assert robot.port == "/dev/ttyACM0" and robot.use_degrees and robot.num_read_retries == 2
    front, wrist = robot.cameras["front"], robot.cameras["wrist"]
    assert (front.width, front.height, front.rotation, front.fourcc) == (640, 480, 180, "MJPG")
    assert (wrist.width, wrist.height, wrist.rotation) == (480, 640, 90)
    client = LeKiwiClientConfig(remote_ip="10.0.0.2")
    assert (client.polling_timeout_ms, client.connect_timeout_s) == (15, 5)
    assert client.teleop_keys["rotate_left"] == "z" and client.teleop_keys["quit"] == "q"


def test_registry_names_and_flags():
    assert type(RobotConfig.from_dict({"type": "lekiwi_client", "remote_ip": "x"})) is (
        LeKiwiClientConfig
    )
    assert type(RobotConfig.from_dict({"type": "lekiwi"})) is LeKiwiConfig
    cfg = parse_cli(LeKiwiServerConfig, ["--robot.id=kiwi", "--robot.cameras={}",
                                         "--host.connection_time_s=null",
                                         "--host.watchdog_timeout_ms=250"])  # fmt: skip
    assert cfg.robot.cameras == {} and cfg.host.connection_time_s is None
    assert cfg.host.watchdog_timeout_ms == 250
    with pytest.raises(ConfigError, match="watchdog_timeout_ms"):
        parse_cli(LeKiwiServerConfig, ["--host.watchdog_timeout_ms=0"])
    with pytest.raises(ConfigError, match="connection_time_s"):
        parse_cli(LeKiwiServerConfig, ["--host.connection_time_s=-1"])
    with pytest.raises(ConfigError, match="remote_ip"):
        RobotConfig.from_dict({"type": "lekiwi_client"})


def test_importing_the_configs_loads_no_bus_camera_driver_or_zeromq():
    code = (
        "import sys; from lr_robots.robots.lekiwi import LeKiwiServerConfig, "
        "LeKiwiClientConfig; LeKiwiServerConfig(); LeKiwiClientConfig(remote_ip='x'); "
        "print([m for m in ('torch', 'serial', 'zmq', 'av', 'cv2', 'lr_motors.feetech.bus', "
        "'lr_dataset') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
