"""HopeJR's homunculus glove and exoskeleton arm, emulated as line-streaming boards on ptys:
lr calibrate finger by finger, LeRobot's joint mapping, smoothing, and driving the HopeJR hand."""

from __future__ import annotations

import os
import time

import pytest

from lr_core.errors import HardwareError
from lr_core.motors import MotorCalibration, load_calibration
from lr_motors.emulator import ServoEmulator, robot_servos
from lr_robots.robots.hope_jr import HopeJrHand, HopeJrHandConfig
from lr_robots.teleoperators.homunculus import (
    HomunculusArm,
    HomunculusArmConfig,
    HomunculusGlove,
    HomunculusGloveConfig,
    LineDeviceEmulator,
)
from lr_robots.teleoperators.homunculus.teleoperator import GLOVE_JOINTS

GLOVE = list(GLOVE_JOINTS)


def settle(read, targets: dict[str, float], tol: float = 0.5):
    """Read until every smoothed value is within ``tol`` of its target (the moving average
    needs some lines to follow a step)."""
    deadline = time.monotonic() + 10
    while True:
        values = read()
        if all(abs(values[k] - t) <= tol for k, t in targets.items()):
            return values
        assert time.monotonic() < deadline, ({k: values[k] for k in targets}, targets)


def test_glove_calibration_mapping_and_smoothing(run_lr, calibration_home):
    with LineDeviceEmulator(16) as board:
        proc = run_lr("calibrate", "--teleop.type=homunculus_glove", "--teleop.side=right",
                      f"--teleop.port={board.port}", "--teleop.id=g")  # fmt: skip
        for finger in ("thumb", "index", "middle", "ring", "pinky"):
            proc.expect(f"Move {finger} through its entire range")
            for value in (2048, 1000, 3000, 2048):
                for i, joint in enumerate(GLOVE):
                    if joint.startswith(finger):
                        board.set_one(i, value)
                time.sleep(0.25)  # the smoothing follows within a few lines
            proc.send()
        proc.expect("Calibration saved to")
        assert proc.wait() == 0, proc.text
        cal = load_calibration(calibration_home / "teleoperators/homunculus_glove/g.json")
        assert cal["index_dip"].id == GLOVE.index("index_dip")
        assert cal["thumb_mcp"].drive_mode == 1 and cal["index_dip"].drive_mode == 0
        assert cal["index_dip"].range_min < 1100 and cal["index_dip"].range_max > 2900
        # exact ranges for the numbers below
        for joint in GLOVE:
            cal[joint] = cal[joint].model_copy(update={"range_min": 1000, "range_max": 3000})
        glove = HomunculusGlove(HomunculusGloveConfig(port=board.port, side="right", id="g"))
        glove.calibration = cal
        glove.connect()
        assert set(glove.action_features) == set(HopeJrHand(HopeJrHandConfig(
            port="x", side="right")).action_features)  # fmt: skip
        values = [2000] * 16
        values[GLOVE.index("index_mcp_flexion")] = 3000  # fully flexed (0..100: 100)
        values[GLOVE.index("index_mcp_abduction")] = (
            2500  # +50, read -50: inverted on a right glove
        )
        board.set(values)
        settle(glove.get_action, {"index_radial_flexor.pos": -50 * 0.3 + 100 * 0.7,
                                  "index_ulnar_flexor.pos": 50 * 0.3 + 100 * 0.7})  # fmt: skip
        glove.disconnect()


def test_arm_reads_its_five_angles_and_two_raw_columns(calibration_home):
    with LineDeviceEmulator(21) as board:
        arm = HomunculusArm(HomunculusArmConfig(port=board.port, id="a"))
        arm.calibration = {
            joint: MotorCalibration(
                id=i, drive_mode=0, homing_offset=0, range_min=0, range_max=4000
            )
            for i, joint in enumerate(arm.joints)
        }
        arm.connect(calibrate=False)
        values = [2000] * 21
        values[17] = 3000  # elbow_flex's column
        values[0] = 1000  # wrist_pitch's column
        board.set(values)
        settle(arm.get_action, {"elbow_flex.pos": 50.0, "wrist_pitch.pos": -50.0,
                                "shoulder_pitch.pos": 0.0})  # fmt: skip
        arm.disconnect()


def test_a_silent_board_is_named():
    master, slave = os.openpty()
    try:
        glove = HomunculusGlove(HomunculusGloveConfig(port=os.ttyname(slave), side="left"))
        with pytest.raises(HardwareError, match=r"homunculus_glove .*no line of 16 numbers"):
            glove.connect(timeout_s=0.3)
        assert not glove.is_connected
    finally:
        os.close(master), os.close(slave)


def test_the_glove_drives_the_hope_jr_hand(calibration_home):
    from lr_robots.control.loops import teleop_loop

    with LineDeviceEmulator(16) as board, ServoEmulator(robot_servos("hope_jr_hand")) as hand_emu:
        hand = HopeJrHand(HopeJrHandConfig(port=hand_emu.port, side="right", id="h"))
        hand.calibration = {
            name: MotorCalibration(
                id=m.id, drive_mode=0, homing_offset=0, range_min=100, range_max=900
            )
            for name, m in hand.bus.motors.items()
        }
        hand.bus.calibration = dict(hand.calibration)
        hand.save_calibration()
        hand.bus.connect()
        hand.bus.disable_torque()
        hand.bus.write_calibration(hand.calibration)
        hand.bus.disconnect()
        glove = HomunculusGlove(HomunculusGloveConfig(port=board.port, side="right", id="g"))
        glove.calibration = {
            joint: MotorCalibration(
                id=i, drive_mode=0, homing_offset=0, range_min=1000, range_max=3000
            )
            for i, joint in enumerate(GLOVE)
        }
        glove.save_calibration()
        values = [1000] * 16
        values[GLOVE.index("index_dip")] = 3000  # index tip curled: pip_dip tendon to 100
        board.set(values)
        glove.connect()
        hand.connect()
        try:
            teleop_loop(glove, hand, fps=30, duration=1.5)
        finally:
            hand.disconnect()
            glove.disconnect()
        assert hand_emu.register("index_pip_dip", "Goal_Position") == 900
        assert hand_emu.register("middle_pip_dip", "Goal_Position") == 100
