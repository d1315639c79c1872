"""OMX follower and leader on emulated Dynamixel buses: factory calibration without prompts,
ids 11-16 on the follower, the leader's inverted trigger gripper, teleoperation."""

from __future__ import annotations

import time

import pytest

from lr_motors.emulator import ServoEmulator, robot_servos
from lr_robots.robots.omx_follower import OmxFollower, OmxFollowerConfig
from lr_robots.teleoperators.omx_leader import OmxLeader, OmxLeaderConfig


@pytest.fixture
def omx(calibration_home):
    with (
        ServoEmulator(robot_servos("omx", "follower")) as follower,
        ServoEmulator(robot_servos("omx", "leader")) as leader,
    ):
        yield follower, leader


def test_factory_calibration_and_teleoperation(omx, calibration_home):
    follower_emu, leader_emu = omx
    robot = OmxFollower(OmxFollowerConfig(port=follower_emu.port, id="f"))
    teleop = OmxLeader(OmxLeaderConfig(port=leader_emu.port, id="l"))
    teleop.connect()  # no calibration file: the factory one is written, nothing asked
    robot.connect()
    try:
        assert (calibration_home / "robots/omx_follower/f.json").is_file()
        assert robot.calibration["gripper"].range_max == 4095
        assert teleop.calibration["gripper"].drive_mode == 1
        assert teleop.calibration["gripper"].homing_offset == 100
        assert leader_emu.register("gripper", "Drive_Mode") & 1 == 1
        assert leader_emu.register("gripper", "Current_Limit") == 100
        assert leader_emu.register("gripper", "Torque_Enable") == 1
        assert follower_emu.state()["shoulder_pan"]["id"] == 11
        leader_emu.move("wrist_flex", 3000)
        for _ in range(20):
            robot.send_action(teleop.get_action())
            time.sleep(0.01)
        assert follower_emu.register("wrist_flex", "Goal_Position") == 3000
    finally:
        robot.disconnect()
        teleop.disconnect()
    # a second connect finds the motors calibrated: no rewrite
    robot = OmxFollower(OmxFollowerConfig(port=follower_emu.port, id="f"))
    robot.connect()
    assert robot.is_calibrated
    robot.disconnect()
