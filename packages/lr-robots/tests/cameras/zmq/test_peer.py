"""Wire compatibility of the ``zmq`` camera with LeRobot 0.6.1, both ways, on 127.0.0.1.

Run with ``LR_PEER_HOME=/work/peer uv run pytest -m peer packages/lr-robots/tests/cameras``.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.peer
pytest.importorskip("av")
zmq = pytest.importorskip("zmq")

from lr_robots.cameras import SyntheticCamera, SyntheticCameraConfig, decode_stamp  # noqa: E402
from lr_robots.cameras.synthetic.pattern import PatternGenerator  # noqa: E402
from lr_robots.cameras.zmq.camera import ZMQCamera  # noqa: E402
from lr_robots.cameras.zmq.config import ZMQCameraConfig  # noqa: E402
from lr_robots.cameras.zmq.server import ImageServer  # noqa: E402

SCRIPTS = Path(__file__).parent / "peer_scripts"
REPO = Path(__file__).resolve().parents[5]


def _peer_python() -> Path:
    spec = importlib.util.spec_from_file_location("locate", REPO / "tools" / "peer" / "locate.py")
    locate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(locate)
    python = locate.peer_python("0.6.1")
    if python is None:
        pytest.skip(locate.INSTALL_HINT)
    return python


def _free_port() -> int:
    with zmq.Context() as ctx, ctx.socket(zmq.PUB) as sock:
        return sock.bind_to_random_port("tcp://127.0.0.1")


def test_lerobot_client_reads_an_lr_server(tmp_path):
    python = _peer_python()
    out = tmp_path / "frame.npy"
    camera = SyntheticCamera(SyntheticCameraConfig(fps=30, width=160, height=128))
    with ImageServer({"head": camera}, port=0, fps=30) as server:
        proc = subprocess.run(
            [str(python), str(SCRIPTS / "lerobot_zmq_client.py"), str(server.port), str(out)],
            capture_output=True,
            text=True,
            timeout=120,
            cwd="/tmp",
        )
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.split("RESULT ")[-1])
    assert result == {"shape": [128, 160, 3], "dtype": "uint8"}
    frame = np.load(out)
    index, stamp = decode_stamp(frame)
    expected = PatternGenerator(160, 128).frame(index, stamp).astype(int)
    assert np.abs(frame.astype(int) - expected).mean() < 6  # RGB in LeRobot, as sent


def test_lr_client_reads_a_lerobot_server(tmp_path):
    python = _peer_python()
    sent = PatternGenerator(160, 128).frame(42, 1234.5)
    np.save(tmp_path / "sent.npy", sent)
    port = _free_port()
    proc = subprocess.Popen(
        [
            str(python),
            str(SCRIPTS / "lerobot_image_server.py"),
            str(port),
            str(tmp_path / "sent.npy"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd="/tmp",
    )
    try:
        assert proc.stdout.readline().strip() == "READY", proc.stderr.read()[-3000:]
        cam = ZMQCamera(
            ZMQCameraConfig(
                server_address="127.0.0.1", port=port, camera_name="head", timeout_ms=60_000
            )
        )
        cam.connect()
        try:
            frame = cam.async_read(timeout_ms=5000)
        finally:
            cam.disconnect()
    finally:
        proc.kill()
        proc.wait()
    assert frame.shape == (128, 160, 3)
    assert decode_stamp(frame) == (42, 1234.5)
    assert np.abs(frame.astype(int) - sent.astype(int)).mean() < 6
