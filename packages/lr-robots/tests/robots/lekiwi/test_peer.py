"""LeKiwi against LeRobot 0.6.1 (run in its own interpreter): the same wheel numbers, an lr host
driven by LeRobot's client, and a LeRobot host driven by lr's client."""

from __future__ import annotations

import importlib.util
import json
import subprocess
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
