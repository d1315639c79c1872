"""LeRobot 0.6.1 (in its own venv) and lr on the same emulated arm: same registers, same
normalised values, interchangeable calibration files."""

from __future__ import annotations

import importlib.util
import json
import subprocess
from pathlib import Path

import pytest

from lr_core.motors import load_calibration, save_calibration
from lr_motors.feetech.bus import FeetechMotorsBus
from lr_motors.presets import robot_motors

pytestmark = pytest.mark.peer

REPO = Path(__file__).resolve().parents[3]
_spec = importlib.util.spec_from_file_location("peer_locate", REPO / "tools/peer/locate.py")
assert _spec and _spec.loader
locate = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(locate)

PEER = r"""
import json, sys, draccus
from lerobot.motors import Motor, MotorNormMode
from lerobot.motors.feetech import FeetechMotorsBus
port, out = sys.argv[1], sys.argv[2]
names = ["shoulder_pan", "shoulder_lift", "elbow_flex", "wrist_flex", "wrist_roll", "gripper"]
def mode(n):
    return MotorNormMode.RANGE_0_100 if n == "gripper" else MotorNormMode.DEGREES
motors = {n: Motor(i + 1, "sts3215", mode(n)) for i, n in enumerate(names)}
bus = FeetechMotorsBus(port, motors)
bus.connect()
bus.disable_torque()
offsets = bus.set_half_turn_homings()
cal = bus.read_calibration()
for n in names:
    cal[n].range_min, cal[n].range_max = 1200, 2900
bus.write_calibration(cal)
with open(out, "w") as f, draccus.config_type("json"):
    draccus.dump(cal, f, indent=4)
print(json.dumps({"offsets": offsets, "pos": bus.sync_read("Present_Position")}))
bus.disconnect()
"""


@pytest.fixture
def peer_python():
    python = locate.peer_python("0.6.1")
    if python is None:
        pytest.skip(locate.INSTALL_HINT)
    return python


def test_lerobot_calibration_is_read_identically(peer_python, so101, tmp_path):
    so101.move("elbow_flex", 3100)
    so101.move("gripper", 1000)
    path = tmp_path / "lerobot.json"
    out = subprocess.run(
        [str(peer_python), "-c", PEER, so101.port, str(path)], capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    theirs = json.loads(out.stdout.strip().splitlines()[-1])
    cal = load_calibration(path)  # a LeRobot-written file loads in lr
    assert cal["elbow_flex"].homing_offset == theirs["offsets"]["elbow_flex"] == 3100 - 2047
    bus = FeetechMotorsBus(so101.port, robot_motors("so101").motors, cal)
    bus.connect()
    assert bus.read_calibration() == cal
    assert bus.is_calibrated
    ours = bus.sync_read("Present_Position")
    assert ours == pytest.approx(theirs["pos"])
    bus.disconnect()
    # and lr writes the same bytes LeRobot does
    ours_path = tmp_path / "lr.json"
    save_calibration(ours_path, cal)
    assert ours_path.read_bytes() == path.read_bytes()


PEER_PING = r"""
import json, sys
from lerobot.motors import Motor, MotorNormMode
from lerobot.motors.feetech import FeetechMotorsBus
names = ["shoulder_pan", "shoulder_lift", "elbow_flex", "wrist_flex", "wrist_roll", "gripper"]
motors = {n: Motor(i + 1, "sts3215", MotorNormMode.RANGE_M100_100) for i, n in enumerate(names)}
bus = FeetechMotorsBus(sys.argv[1], motors)
bus.connect(handshake=False)
out = {"by_name": bus.ping("gripper"), "by_id": bus.ping(3), "missing": bus.ping(42),
       "broadcast": bus.broadcast_ping()}
print(json.dumps(out))
bus.disconnect(disable_torque=False)
"""


def test_ping_and_broadcast_ping_return_what_lerobot_returns(peer_python, so101):
    out = subprocess.run(
        [str(peer_python), "-c", PEER_PING, so101.port], capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    theirs = json.loads(out.stdout.strip().splitlines()[-1])
    bus = FeetechMotorsBus(so101.port, robot_motors("so101").motors)
    bus.connect(handshake=False)
    ours = {"by_name": bus.ping("gripper"), "by_id": bus.ping(3), "missing": bus.ping(42),
            "broadcast": bus.broadcast_ping()}  # fmt: skip
    bus.disconnect(disable_torque=False)
    assert theirs["broadcast"] == {str(k): v for k, v in ours.pop("broadcast").items()}
    theirs.pop("broadcast")
    assert theirs == ours


PEER_TABLES = r"""
import json
from lerobot.motors.feetech import tables as ft
from lerobot.motors.dynamixel import tables as dxl
def dump(mod, models):
    return {m: {"number": mod.MODEL_NUMBER_TABLE[m], "table": mod.MODEL_CONTROL_TABLE[m],
                "resolution": mod.MODEL_RESOLUTION[m], "baud": mod.MODEL_BAUDRATE_TABLE[m],
                "signs": mod.MODEL_ENCODING_TABLE[m]} for m in models}
print(json.dumps({"feetech": dump(ft, ft.MODEL_NUMBER_TABLE),
                  "dynamixel": dump(dxl, dxl.MODEL_NUMBER_TABLE),
                  "protocol": ft.MODEL_PROTOCOL}))
"""


def test_control_tables_equal_lerobots(peer_python):
    """Every model LeRobot 0.6.1 knows (STS3250 and SM8512BL included) has the same model
    number, register addresses, resolution, baud-rate codes and sign encodings here."""
    from lr_motors.dynamixel import tables as dxl
    from lr_motors.feetech import tables as ft

    out = subprocess.run([str(peer_python), "-c", PEER_TABLES], capture_output=True, text=True,
                         timeout=120)  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    theirs = json.loads(out.stdout)
    assert set(theirs["feetech"]) == set(ft.MODELS)
    for model, t in theirs["feetech"].items():
        assert t["number"] == ft.MODEL_NUMBER_TABLE[model]
        assert {k: tuple(v) for k, v in t["table"].items()} == ft.MODEL_CONTROL_TABLE[model]
        assert t["resolution"] == ft.MODEL_RESOLUTION[model]
        assert {int(k): v for k, v in t["baud"].items()} == ft.BAUDRATE_TABLE
        assert t["signs"] == ft.MODEL_SIGN_BITS[model]
        assert theirs["protocol"][model] == ft.MODEL_PROTOCOL[model]
    assert set(theirs["dynamixel"]) == set(dxl.MODELS)
    for model, t in theirs["dynamixel"].items():
        assert t["number"] == dxl.MODEL_NUMBER_TABLE[model]
        assert {k: tuple(v) for k, v in t["table"].items()} == dxl.MODEL_CONTROL_TABLE[model]
        assert {int(k): v for k, v in t["baud"].items()} == dxl.BAUDRATE_TABLE
        assert t["signs"] == dxl.SIGNED_REGISTERS
