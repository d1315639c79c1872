"""LeRobot 0.6.1 and lr on the same emulated SO-101: a calibration written by either robot's
own interactive procedure loads in the other, byte for byte, and both read the arm alike."""

from __future__ import annotations

import importlib.util
import json
import time
from pathlib import Path

import pytest

from lr_core.motors import load_calibration
from lr_robots.robots.so_follower import SO101Follower, SO101FollowerConfig

pytestmark = pytest.mark.peer

REPO = Path(__file__).resolve().parents[3]
_spec = importlib.util.spec_from_file_location("peer_locate", REPO / "tools/peer/locate.py")
assert _spec and _spec.loader
locate = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(locate)

BODY = ("shoulder_pan", "shoulder_lift", "elbow_flex", "wrist_flex", "gripper")

PEER_CALIBRATE = r"""
import sys
from lerobot.robots.so_follower import SO101Follower, SO101FollowerConfig
robot = SO101Follower(SO101FollowerConfig(port=sys.argv[1], id="black"))
robot.connect(calibrate=False)
robot.calibrate()
robot.disconnect()
print("PEER DONE")
"""

PEER_CHECK = r"""
import json, sys
from lerobot.robots.so_follower import SO101Follower, SO101FollowerConfig
robot = SO101Follower(SO101FollowerConfig(port=sys.argv[1], id="black"))
robot.bus.connect()
out = {"is_calibrated": robot.bus.is_calibrated,
       "obs": robot.bus.sync_read("Present_Position"),
       "calibration": {k: vars(v) for k, v in robot.calibration.items()}}
robot._save_calibration(sys.argv[2])
robot.bus.disconnect(disable_torque=False)
print("PEER " + json.dumps(out))
"""


@pytest.fixture
def peer_python():
    python = locate.peer_python("0.6.1")
    if python is None:
        pytest.skip(locate.INSTALL_HINT)
    return python


def drive_calibration(proc, emu) -> None:
    """Answer LeRobot's (and lr's) prompts: mid-range, then move every joint, then Enter."""
    proc.expect("middle of its range of motion", timeout=120)
    proc.send()
    proc.expect("Press ENTER to stop", timeout=60)
    for step in (2047, 1600, 1200, 1700, 2500, 2950, 2400):
        for name in BODY:
            emu.move(name, step)
        time.sleep(0.1)
    proc.send()


def test_a_lerobot_calibration_loads_in_lr(
    peer_python, calibration_home, so101_follower_emu, spawn
):
    emu = so101_follower_emu
    emu.move("elbow_flex", 2900)
    emu.move("wrist_roll", 4000)
    peer = spawn([str(peer_python), "-c", PEER_CALIBRATE, emu.port])
    drive_calibration(peer, emu)
    peer.expect("PEER DONE", timeout=60)
    assert peer.wait() == 0, peer.text
    path = calibration_home / "robots/so_follower/black.json"
    written_by_lerobot = path.read_bytes()
    robot = SO101Follower(SO101FollowerConfig(port=emu.port, id="black"))
    assert robot.calibration["elbow_flex"].homing_offset == 2900 - 2047
    assert (robot.calibration["elbow_flex"].range_min,
            robot.calibration["elbow_flex"].range_max) == (1200, 2950)  # fmt: skip
    robot.connect()  # the motors hold LeRobot's calibration: no prompt
    assert robot.is_calibrated
    emu.move("elbow_flex", 2000)
    obs = robot.get_observation()
    assert obs["elbow_flex.pos"] == pytest.approx((2000 - (1200 + 2950) / 2) * 360 / 4095)
    robot.save_calibration()
    assert path.read_bytes() == written_by_lerobot  # lr writes the same bytes back
    robot.disconnect()


def test_an_lr_calibration_loads_in_lerobot(
    peer_python, calibration_home, so101_follower_emu, run_lr, spawn, tmp_path
):
    emu = so101_follower_emu
    emu.move("shoulder_lift", 1100)
    proc = run_lr("calibrate", "--robot.type=so101_follower", f"--robot.port={emu.port}",
                  "--robot.id=black")  # fmt: skip
    drive_calibration(proc, emu)
    proc.expect("Calibration saved to")
    assert proc.wait() == 0, proc.text
    path = calibration_home / "robots/so_follower/black.json"
    ours = load_calibration(path)
    emu.move("elbow_flex", 2300)
    resaved = tmp_path / "by_lerobot.json"
    peer = spawn([str(peer_python), "-c", PEER_CHECK, emu.port, str(resaved)])
    peer.expect("PEER {", timeout=120)
    assert peer.wait() == 0, peer.text
    theirs = json.loads(peer.text.split("PEER ", 1)[1].splitlines()[0])
    assert theirs["is_calibrated"] is True
    assert theirs["calibration"] == {k: v.model_dump() for k, v in ours.items()}
    assert resaved.read_bytes() == path.read_bytes()  # LeRobot writes back lr's exact bytes
    robot = SO101Follower(SO101FollowerConfig(port=emu.port, id="black"))
    robot.connect()
    obs = robot.get_observation()
    for name, value in theirs["obs"].items():
        assert obs[f"{name}.pos"] == pytest.approx(value), name
    robot.disconnect()
