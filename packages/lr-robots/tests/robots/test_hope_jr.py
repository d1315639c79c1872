"""HopeJR arm (SM8512BL + STS3250) and hand (SCS0009, protocol 1) on emulated buses:
lr calibrate group by group, a seam-crossing wrist, the hand's side inversions, IO."""

from __future__ import annotations

import time

import pytest

from lr_core.errors import ConfigError
from lr_core.motors import load_calibration
from lr_motors.emulator import ServoEmulator, robot_servos
from lr_robots.robots.hope_jr import HopeJrArm, HopeJrArmConfig, HopeJrHand, HopeJrHandConfig


def record_group(proc, emu, group: str, joints: list[str], path: list[int]) -> None:
    proc.expect(f"Move the {group} joints", timeout=60)
    for position in path:
        for name in joints:
            emu.move(name, position)
        time.sleep(0.06)
    proc.send()


def test_arm_calibration_by_groups_and_a_wrist_across_the_seam(run_lr, calibration_home):
    with ServoEmulator(robot_servos("hope_jr_arm")) as emu:
        proc = run_lr("calibrate", "--robot.type=hope_jr_arm", f"--robot.port={emu.port}",
                      "--robot.id=jr")  # fmt: skip
        record_group(proc, emu, "shoulder", ["shoulder_pitch", "shoulder_yaw", "shoulder_roll"],
                     [2048, 1500, 2600, 2048])  # fmt: skip
        record_group(proc, emu, "elbow", ["elbow_flex"], [2048, 1000, 3000])
        emu.move("wrist_roll", 3900)
        time.sleep(0.06)
        record_group(proc, emu, "wrist", ["wrist_roll", "wrist_yaw", "wrist_pitch"],
                     [3900, 4050, 4095, 0, 80, 200])  # fmt: skip
        proc.expect("Calibration saved to")
        assert proc.wait() == 0, proc.text
        cal = load_calibration(calibration_home / "robots/hope_jr_arm/jr.json")
        assert (cal["elbow_flex"].homing_offset, cal["elbow_flex"].range_min,
                cal["elbow_flex"].range_max) == (0, 1000, 3000)  # fmt: skip
        wrist = cal["wrist_roll"]  # 3900 .. 4296 unwrapped: re-homed to hold the real arc
        assert wrist.range_max - wrist.range_min == 396
        assert wrist.range_min >= 0 and wrist.range_max <= 4095
        robot = HopeJrArm(HopeJrArmConfig(port=emu.port, id="jr"))
        robot.connect()
        obs = robot.get_observation()
        assert obs["wrist_roll.pos"] == pytest.approx(100.0)  # it rests at the top of its arc
        assert emu.register("shoulder_pitch", "Acceleration") == 30
        robot.send_action({"elbow_flex.pos": 0.0})
        robot.disconnect()


def test_hand_side_and_calibration(run_lr, calibration_home):
    with pytest.raises(ValueError, match="side"):
        HopeJrHandConfig(port="x", side="up")
    with pytest.raises(ConfigError):
        HopeJrHandConfig.from_dict({"port": "x", "side": "middle"})
    with ServoEmulator(robot_servos("hope_jr_hand")) as emu:
        for name in emu.state():
            emu.move(name, 512)  # the tendons at rest, mid-travel
        proc = run_lr("calibrate", "--robot.type=hope_jr_hand", "--robot.side=right",
                      f"--robot.port={emu.port}", "--robot.id=rh")  # fmt: skip
        hand = HopeJrHand(HopeJrHandConfig(port="x", side="right"))
        for finger in ("thumb", "index", "middle", "ring", "pinky"):
            joints = [m for m in hand.bus.motors if m.startswith(finger)]
            record_group(proc, emu, finger, joints, [512, 300, 800, 500])
        proc.expect("Calibration saved to")
        assert proc.wait() == 0, proc.text
        cal = load_calibration(calibration_home / "robots/hope_jr_hand/rh.json")
        assert cal["thumb_mcp"].drive_mode == 1 and cal["thumb_cmc"].drive_mode == 0
        assert (cal["index_pip_dip"].range_min, cal["index_pip_dip"].range_max) == (300, 800)
        robot = HopeJrHand(HopeJrHandConfig(port=emu.port, id="rh", side="right"))
        robot.connect()
        emu.move("thumb_mcp", 300)
        emu.move("thumb_cmc", 300)
        obs = robot.get_observation()
        assert obs["thumb_cmc.pos"] == 0.0 and obs["thumb_mcp.pos"] == 100.0  # inverted
        sent = robot.send_action({"index_pip_dip.pos": 150.0})
        assert sent == {"index_pip_dip.pos": 100.0}
        robot.disconnect()


def test_a_hand_servo_travelling_across_the_seam_is_named(run_lr):
    with ServoEmulator(robot_servos("hope_jr_hand")) as emu:
        for name in emu.state():
            emu.move(name, 512)
        proc = run_lr("calibrate", "--robot.type=hope_jr_hand", "--robot.side=left",
                      f"--robot.port={emu.port}", "--robot.id=lh")  # fmt: skip
        thumb = ["thumb_cmc", "thumb_mcp", "thumb_pip", "thumb_dip"]
        record_group(proc, emu, "thumb", thumb, [512, 300, 800, 1000, 10, 100])
        assert proc.wait() == 1
        assert "'thumb_cmc'" in proc.text and "no Homing_Offset register" in proc.text
