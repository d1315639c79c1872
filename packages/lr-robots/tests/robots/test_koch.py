"""Koch follower and leader on emulated Dynamixel buses: LeRobot's calibration (extended
position, inverted elbow on the leader), configure steps, teleoperation and the trigger."""

from __future__ import annotations

import time

import pytest

from lr_core.motors import load_calibration
from lr_motors.emulator import ServoEmulator, robot_servos
from lr_robots.robots.koch_follower import KochFollower, KochFollowerConfig
from lr_robots.teleoperators.koch_leader import KochLeader, KochLeaderConfig

JOINTS = ("shoulder_lift", "elbow_flex", "wrist_flex", "gripper")


@pytest.fixture
def koch_follower_emu():
    with ServoEmulator(robot_servos("koch", "follower")) as emu:
        yield emu


@pytest.fixture
def koch_leader_emu():
    with ServoEmulator(robot_servos("koch", "leader")) as emu:
        yield emu


@pytest.fixture
def calibrated_koch(run_lr, calibrate_by_hand, calibration_home, koch_follower_emu,
                    koch_leader_emu):  # fmt: skip
    """Both arms calibrated through ``lr calibrate``, as a user would."""
    for emu, args in (
        (koch_follower_emu, ["--robot.type=koch_follower", "--robot.id=f"]),
        (koch_leader_emu, ["--teleop.type=koch_leader", "--teleop.id=l"]),
    ):
        emu.move("elbow_flex", 3000)
        side = "robot" if "robot" in args[0] else "teleop"
        proc = run_lr("calibrate", *args, f"--{side}.port={emu.port}")
        calibrate_by_hand(proc, emu, JOINTS)
        assert proc.wait() == 0, proc.text
    return koch_follower_emu, koch_leader_emu


def test_calibration_follows_lerobot(calibrated_koch, calibration_home):
    _, leader = calibrated_koch
    f = load_calibration(calibration_home / "robots/koch_follower/f.json")
    lead = load_calibration(calibration_home / "teleoperators/koch_leader/l.json")
    for cal in (f, lead):
        assert (cal["shoulder_pan"].range_min, cal["shoulder_pan"].range_max) == (0, 4095)
        assert (cal["wrist_roll"].range_min, cal["wrist_roll"].range_max) == (0, 4095)
        assert (cal["elbow_flex"].range_min, cal["elbow_flex"].range_max) == (1000, 3100)
    assert f["elbow_flex"].homing_offset == 2047 - 3000 and f["elbow_flex"].drive_mode == 0
    assert lead["elbow_flex"].drive_mode == 1  # the leader's elbow turns the other way
    assert leader.register("elbow_flex", "Drive_Mode") & 1 == 1
    assert lead["elbow_flex"].homing_offset == 2047 + 3000  # read inverted: -3000 + offset


def test_configure_and_teleoperate(calibrated_koch, calibration_home):
    follower_emu, leader_emu = calibrated_koch
    robot = KochFollower(KochFollowerConfig(port=follower_emu.port, id="f"))
    teleop = KochLeader(KochLeaderConfig(port=leader_emu.port, id="l"))
    teleop.connect()
    robot.connect()
    try:
        assert follower_emu.register("shoulder_pan", "Operating_Mode") == 4  # extended
        assert follower_emu.register("gripper", "Operating_Mode") == 5  # current-based
        assert follower_emu.register("elbow_flex", "Position_P_Gain") == 1500
        assert leader_emu.register("gripper", "Torque_Enable") == 1  # the trigger holds
        assert leader_emu.register("elbow_flex", "Torque_Enable") == 0  # joints are free
        leader_emu.move("wrist_flex", 2500)
        for _ in range(20):
            robot.send_action(teleop.get_action())
            time.sleep(0.01)
        assert robot.get_observation()["wrist_flex.pos"] == pytest.approx(
            teleop.get_action()["wrist_flex.pos"], abs=0.5
        )
    finally:
        robot.disconnect()
        teleop.disconnect()
    assert follower_emu.register("elbow_flex", "Torque_Enable") == 0
    assert leader_emu.register("gripper", "Torque_Enable") == 0


def test_the_leader_gripper_is_a_spring_back_trigger(calibrated_koch):
    _, leader_emu = calibrated_koch
    teleop = KochLeader(KochLeaderConfig(port=leader_emu.port, id="l", gripper_open_pos=50.0))
    teleop.connect()
    try:
        deadline = time.monotonic() + 3
        while abs(teleop.get_action()["gripper.pos"] - 50.0) > 1:
            assert time.monotonic() < deadline, teleop.get_action()
            time.sleep(0.02)
        leader_emu.press("gripper", 1200)  # squeezed toward closed
        squeezed = teleop.get_action()["gripper.pos"]
        assert squeezed < 20
        leader_emu.release("gripper")
        deadline = time.monotonic() + 3
        while abs(teleop.get_action()["gripper.pos"] - 50.0) > 1:
            assert time.monotonic() < deadline, "the trigger did not spring back"
            time.sleep(0.02)
    finally:
        teleop.disconnect()
