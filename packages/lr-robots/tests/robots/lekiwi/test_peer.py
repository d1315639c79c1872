"""LeKiwi against LeRobot 0.6.1 (run in its own interpreter): the same wheel numbers, an lr host
driven by LeRobot's client, and a LeRobot host driven by lr's client."""

from __future__ import annotations

import importlib.util
import json
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

from lr_robots.robots.lekiwi.kinematics import WHEELS, body_to_wheel_raw, wheel_raw_to_body

pytestmark = pytest.mark.peer

REPO = Path(__file__).resolve().parents[5]
_spec = importlib.util.spec_from_file_location("peer_locate", REPO / "tools/peer/locate.py")
assert _spec and _spec.loader
locate = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(locate)


@pytest.fixture(scope="module")
def peer_python() -> Path:
    python = locate.peer_python("0.6.1")
    if python is None:
        pytest.skip(locate.INSTALL_HINT)
    return python


PEER_KINEMATICS = r"""
import json, sys
from lerobot.robots.lekiwi.lekiwi import LeKiwi
robot = object.__new__(LeKiwi)  # the conversions use no hardware
cases = json.load(sys.stdin)
out = {
    "raw": [robot._body_to_wheel_raw(*v) for v in cases["body"]],
    "body": [{k: float(x) for k, x in robot._wheel_raw_to_body(*w).items()}
             for w in cases["wheels"]],
}
print(json.dumps(out))
"""


def test_wheel_numbers_equal_lerobots(peer_python):
    rng = np.random.default_rng(12)
    body = [[float(v) for v in (*rng.uniform(-0.4, 0.4, 2), rng.uniform(-180, 180))]
            for _ in range(2000)]  # fmt: skip
    body += [[0.0, 0.0, 0.0], [0.1, 0, 0], [0, 0.1, 0], [0, 0, 90], [3.0, -2.0, 400.0],
             [-1e4, 0.0, 0.0]]  # fmt: skip
    wheels = [[int(v) for v in rng.integers(-3400, 3401, 3)] for _ in range(2000)]
    wheels += [[0, 0, 0], [1129, 0, -1129], [-32768, 32767, 5]]
    out = subprocess.run(
        [str(peer_python), "-c", PEER_KINEMATICS],
        input=json.dumps({"body": body, "wheels": wheels}),
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    theirs = json.loads(out.stdout.strip().splitlines()[-1])
    ours_raw = [body_to_wheel_raw(*v) for v in body]
    assert ours_raw == theirs["raw"]  # every integer sent to a wheel, exactly
    ours_body = [wheel_raw_to_body(*w) for w in wheels]
    assert ours_body == theirs["body"]  # bit for bit
    assert set(theirs["raw"][0]) == set(WHEELS)


PEER_CLIENT = r"""
import json, sys, time
import numpy as np
from lerobot.cameras.opencv import OpenCVCameraConfig
from lerobot.robots.lekiwi import LeKiwiClient, LeKiwiClientConfig

port_cmd, port_obs, frame_path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
config = LeKiwiClientConfig(
    remote_ip="127.0.0.1", port_zmq_cmd=port_cmd, port_zmq_observations=port_obs, id="laptop",
    cameras={"front": OpenCVCameraConfig(index_or_path=0, width=128, height=96, fps=30)},
)
robot = LeKiwiClient(config)
robot.connect()
action = {"arm_elbow_flex.pos": 20.0, "x.vel": 0.1, "y.vel": 0.0, "theta.vel": 30.0}
deadline = time.time() + 30
while True:
    robot.send_action(action)
    obs = robot.get_observation()
    moved = abs(obs["theta.vel"] - 30.0) < 0.1 and abs(obs["arm_elbow_flex.pos"] - 20) < 0.2
    if moved and "front" in obs or time.time() > deadline:
        break
    time.sleep(1 / 30)
np.save(frame_path, obs["front"])
print("PEER " + json.dumps({k: float(v) for k, v in obs.items() if k.endswith((".pos", ".vel"))}))
robot.disconnect()
"""


@pytest.mark.slow
def test_lerobots_client_drives_an_lr_host(peer_python, kiwi, start_host, wheel_goals, tmp_path,
                                           spawn):  # fmt: skip
    from lr_robots.cameras.synthetic.pattern import PatternGenerator, decode_stamp

    host = start_host(kiwi, "--host.connection_time_s=120")
    frame_path = tmp_path / "frame.npy"
    peer = spawn([str(peer_python), "-c", PEER_CLIENT, str(host.port_cmd), str(host.port_obs),
                  str(frame_path)])  # fmt: skip
    peer.expect("PEER {", timeout=120)
    assert peer.wait() == 0, peer.text
    obs = json.loads(peer.text.split("PEER ", 1)[1].splitlines()[0])
    assert obs["theta.vel"] == pytest.approx(30.0, abs=0.1)  # our header, read by LeRobot
    assert obs["x.vel"] == pytest.approx(0.1, abs=1e-3)
    assert obs["arm_elbow_flex.pos"] == pytest.approx(20.0, abs=0.2)
    assert wheel_goals(kiwi) in (body_to_wheel_raw(0.1, 0.0, 30.0), dict.fromkeys(WHEELS, 0))
    goal = 2000 + 20 * 4095 / 360
    assert abs(kiwi.register("arm_elbow_flex", "Goal_Position") - goal) <= 1
    frame = np.load(frame_path)  # what cv2.imdecode made of our JPEG: RGB, as from LeRobot
    assert frame.shape == (96, 128, 3)
    index, stamp = decode_stamp(frame)
    assert np.abs(frame.astype(int) - PatternGenerator(128, 96).frame(index, stamp)).mean() < 4
    host.proc.signal(signal.SIGINT)
    assert host.proc.wait() == 0
    assert summary_commands(host.proc.text) > 0
    assert "0 malformed commands dropped" in host.proc.text


def summary_commands(text: str) -> int:
    return int(text.split("LeKiwi host finished: ", 1)[1].split(" commands applied")[0]
               .rsplit(" ", 1)[1])  # fmt: skip


PEER_HOST = (
    "import runpy, lerobot.cameras.zmq; "
    "runpy.run_module('lerobot.robots.lekiwi.lekiwi_host', run_name='__main__')"
)


@pytest.mark.slow
def test_an_lr_client_drives_lerobots_host(peer_python, kiwi, ports, wheel_goals, spawn):
    from lr_robots.cameras.synthetic.camera import SyntheticCamera
    from lr_robots.cameras.synthetic.config import SyntheticCameraConfig
    from lr_robots.cameras.synthetic.pattern import PatternGenerator, decode_stamp
    from lr_robots.cameras.zmq.server import ImageServer
    from lr_robots.robots.lekiwi import LeKiwiClientConfig
    from lr_robots.robots.lekiwi.lekiwi_client import LeKiwiClient

    camera = SyntheticCamera(SyntheticCameraConfig(width=128, height=96, fps=30))
    with ImageServer({"front": camera}, port=0, fps=30) as server:
        # LeRobot's host reads our image server through its own zmq camera
        cameras = json.dumps({"front": {"type": "zmq", "server_address": "127.0.0.1",
                                        "port": server.port, "camera_name": "front",
                                        "width": 128, "height": 96, "fps": 30}})  # fmt: skip
        # LeRobot's `python -m lerobot.robots.lekiwi.lekiwi_host`, with its zmq camera
        # registered first (the host module imports only the opencv camera)
        argv = [str(peer_python), "-c", PEER_HOST,
                f"--robot.port={kiwi.port}", "--robot.id=kiwi", f"--robot.cameras={cameras}",
                f"--host.port_zmq_cmd={ports[0]}", f"--host.port_zmq_observations={ports[1]}",
                "--host.connection_time_s=15",
                # LeRobot's own flag: its bus waits ~50 ms for a reply, and three failed tries
                # of a read end its host; the emulated servos are a process a loaded machine
                # may not schedule that soon. 15 tries span what lr's bus allows a pty (3 x
                # 250 ms); a real servo answers within a few ms
                "--robot.num_read_retries=14"]  # fmt: skip
        client = LeKiwiClient(LeKiwiClientConfig(
            remote_ip="127.0.0.1", port_zmq_cmd=ports[0], port_zmq_observations=ports[1],
            cameras={"front": {"type": "synthetic", "width": 128, "height": 96, "fps": 30}},
            connect_timeout_s=1,
        ))  # fmt: skip
        host = connect_to_peer_host(spawn, argv, client)
        action = {"arm_elbow_flex.pos": 20.0, "x.vel": 0.1, "y.vel": 0.0, "theta.vel": 30.0}
        deadline = time.monotonic() + 30
        while True:
            client.send_action(action)
            obs = client.get_observation()
            if abs(obs["theta.vel"] - 30.0) < 0.1 and decode_stamp(obs["front"]) is not None:
                break
            assert time.monotonic() < deadline, f"LeRobot's host never moved: {host.text[-2000:]}"
            time.sleep(1 / 30)
        assert wheel_goals(kiwi) == body_to_wheel_raw(0.1, 0.0, 30.0)
        goal = 2000 + 20 * 4095 / 360
        assert abs(kiwi.register("arm_elbow_flex", "Goal_Position") - goal) <= 1
        assert obs["x.vel"] == pytest.approx(0.1, abs=1e-3)
        index, stamp = decode_stamp(obs["front"])  # JPEG twice: our server's, then LeRobot's
        reference = PatternGenerator(128, 96).frame(index, stamp)
        assert np.abs(obs["front"].astype(int) - reference).mean() < 8  # RGB, not swapped
        # the base alone (the keyboard without a leader arm): LeRobot's host drops a command
        # without an arm joint (sync_write("Goal_Position", {}) raises StopIteration); lr's
        # client sends the arm's hold position with it
        turn, deadline = body_to_wheel_raw(0.0, 0.0, -30.0), time.monotonic() + 30
        while wheel_goals(kiwi) != turn:
            assert time.monotonic() < deadline, f"base-only not applied: {host.text[-2000:]}"
            client.send_action({"theta.vel": -30.0})
            client.get_observation()
            time.sleep(1 / 30)
        assert abs(kiwi.register("arm_elbow_flex", "Goal_Position") - goal) <= 1  # held
        client.disconnect()  # our stopping command, read by LeRobot's host
        deadline = time.monotonic() + 5
        while set(wheel_goals(kiwi).values()) != {0}:
            assert time.monotonic() < deadline, "the base did not stop"
            time.sleep(0.02)
        # LeRobot's host ends by its connection_time_s (Ctrl-C in the middle of a bus
        # transaction leaves its port "in use", and its disconnect then fails)
        assert host.wait(timeout=60) == 0, host.text[-3000:]
    assert "Cycle time reached." in host.text
    assert "Message fetching failed" not in host.text  # every command of ours applied
    assert not any(s["torque"] for s in kiwi.state().values())  # LeRobot's disconnect


def connect_to_peer_host(spawn, argv: list[str], client) -> object:
    """Start LeRobot's host and connect ``client`` to it. On a loaded machine LeRobot's bus
    gives up on a servo reply later than its ~34 ms packet timeout ("There is no status
    packet!", or a motor missing from its broadcast ping; no retry at connect): a start that
    failed in ``robot.connect()`` is retried, twice at most."""
    from lr_core.errors import DeviceNotConnectedError

    for _ in range(3):
        host = spawn(argv)
        deadline = time.monotonic() + 60
        while host.proc.poll() is None and time.monotonic() < deadline:
            try:
                client.connect()
                return host
            except DeviceNotConnectedError:
                continue
        host.wait()
        if "robot.connect()" not in host.text:
            break
    pytest.fail(f"LeRobot's host did not come up:\n{host.text[-3000:]}")
