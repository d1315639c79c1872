"""MotorArm through an SO-101 follower on the emulator: features, the safety path of
send_action, cameras, and the state a failure or a disconnect leaves the arm in."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lr_core.errors import ConfigError, FeatureError
from lr_core.features import hw_to_dataset_features
from lr_robots.robots.so_follower import SO101Follower, SO101FollowerConfig

TICK = 360 / 4095


@pytest.fixture
def follower(calibration_home, so101_follower_emu, calibrate_emulated):
    calibrate_emulated(so101_follower_emu, calibration_home / "robots/so_follower/black.json")
    return so101_follower_emu


def make(emu, **fields) -> SO101Follower:
    return SO101Follower(SO101FollowerConfig(port=emu.port, id="black", **fields))


def test_features_work_disconnected_and_feed_dataset_features(calibration_home, fake_camera):
    cam = fake_camera(width=64, height=48, fps=30)
    robot = SO101Follower(SO101FollowerConfig(port="/dev/null", id="x", cameras={"front": cam}))
    assert not robot.is_connected
    assert list(robot.action_features) == [
        f"{m}.pos"
        for m in (
            "shoulder_pan",
            "shoulder_lift",
            "elbow_flex",
            "wrist_flex",
            "wrist_roll",
            "gripper",
        )
    ]
    assert robot.observation_features["front"] == (48, 64, 3)
    features = hw_to_dataset_features(robot.observation_features, "observation")
    assert features["observation.state"].shape == (6,)
    assert features["observation.images.front"].shape == (48, 64, 3)
    assert hw_to_dataset_features(robot.action_features, "action")["action"].names == list(
        robot.action_features
    )
    assert robot.robot_type == "so_follower"
    assert robot.calibration_fpath == calibration_home / "robots/so_follower/x.json"


def test_goals_are_clamped_to_the_calibrated_range_and_returned(follower, register_becomes):
    robot = make(follower)
    robot.connect()  # registers hold the file: no calibration prompt
    lo_deg, hi_deg = (1000 - 2000) * TICK, (3000 - 2000) * TICK
    sent = robot.send_action({"elbow_flex.pos": 500.0, "gripper.pos": -20.0, "x.vel": 3})
    assert sent == {"elbow_flex.pos": pytest.approx(hi_deg), "gripper.pos": 0.0}
    register_becomes(follower, "elbow_flex", "Goal_Position", 3000)
    register_becomes(follower, "gripper", "Goal_Position", 1000)
    sent = robot.send_action({"elbow_flex.pos": -500.0})
    assert sent["elbow_flex.pos"] == pytest.approx(lo_deg)
    robot.disconnect()


def test_max_relative_target_caps_each_step(follower, register_becomes):
    robot = make(follower, max_relative_target=5.0)
    robot.connect()
    present = robot.get_observation()
    sent = robot.send_action({"elbow_flex.pos": 60.0, "wrist_flex.pos": -60.0, "gripper.pos": 90})
    assert sent["elbow_flex.pos"] == pytest.approx(present["elbow_flex.pos"] + 5)
    assert sent["wrist_flex.pos"] == pytest.approx(present["wrist_flex.pos"] - 5)
    assert sent["gripper.pos"] == pytest.approx(present["gripper.pos"] + 5)
    register_becomes(follower, "elbow_flex", "Goal_Position", int(2048 + 5 / TICK))
    robot.disconnect()


def test_per_motor_caps(follower):
    with pytest.raises(ConfigError, match=r"missing \['elbow_flex', .*unknown \['elbow'\]"):
        make(follower, max_relative_target={"elbow": 1.0})
    with pytest.raises(ConfigError, match="positive"):
        make(follower, max_relative_target=0.0)
    names = ["shoulder_pan", "shoulder_lift", "elbow_flex", "wrist_flex", "wrist_roll", "gripper"]
    caps = {name: float(k + 1) for k, name in enumerate(names)}
    robot = make(follower, max_relative_target=caps)
    robot.connect()
    present = robot.get_observation()
    sent = robot.send_action({f"{m}.pos": present[f"{m}.pos"] + 50 for m in caps})
    for motor, cap in caps.items():
        expected = min(present[f"{motor}.pos"] + cap, robot.goal_limits()[motor][1])
        assert sent[f"{motor}.pos"] == pytest.approx(expected), motor
    robot.disconnect()


@pytest.mark.parametrize(
    ("action", "match"),
    [
        ({"elbow.pos": 1.0}, r"'elbow.pos' names no motor.*elbow_flex.pos"),
        ({"elbow_flex.pos": math.nan}, r"'elbow_flex.pos' is nan"),
        ({"gripper.pos": math.inf}, r"'gripper.pos' is inf"),
        ({"gripper.pos": "open"}, r"'gripper.pos' is 'open', not a number"),
    ],
)
def test_bad_actions_are_refused_by_key_and_nothing_moves(follower, action, match):
    robot = make(follower)
    robot.connect()
    before = follower.register("elbow_flex", "Goal_Position")
    with pytest.raises(FeatureError, match=match):
        robot.send_action(action)
    assert follower.register("elbow_flex", "Goal_Position") == before
    robot.disconnect()


def test_cameras_are_read_with_the_positions(follower, fake_camera):
    cam = fake_camera(width=32, height=24, fps=30)
    robot = make(follower, cameras={"front": cam})
    robot.connect()
    obs = robot.get_observation()
    assert obs["front"].shape == (24, 32, 3) and obs["front"].dtype == np.uint8
    assert set(obs) == set(robot.observation_features)
    robot.disconnect()
    assert not robot.cameras["front"].is_connected


def test_a_camera_that_fails_to_connect_leaves_the_arm_safe(follower, fake_camera):
    robot = make(follower, cameras={"front": fake_camera(width=8, height=8, fail_connect=True)})
    with pytest.raises(TimeoutError):
        robot.connect()
    assert not robot.bus.is_connected
    assert all(not s["torque"] for s in follower.state().values())


def test_disconnect_can_hold_position(follower, register_becomes):
    robot = make(follower, disable_torque_on_disconnect=False)
    robot.connect()
    follower.move("elbow_flex", 2500)  # pushed by hand: the hold is where it is now
    robot.disconnect()
    state = follower.state()
    assert all(s["torque"] for s in state.values())
    register_becomes(follower, "elbow_flex", "Goal_Position", 2500)


def test_uncalibrated_motors_with_a_file_ask_before_writing_it(follower, monkeypatch):
    follower.set_register("gripper", "Min_Position_Limit", 0)
    answers = iter([""])
    monkeypatch.setattr("builtins.input", lambda prompt="": next(answers))
    robot = make(follower)
    robot.connect()
    assert follower.register("gripper", "Min_Position_Limit") == 1000
    assert robot.is_calibrated
    robot.disconnect()


@pytest.mark.parametrize("with_file", [True, False])
def test_calibration_without_a_terminal_is_a_clear_error_not_an_eof_traceback(
    calibration_home, so101_follower_emu, monkeypatch, with_file
):
    # a service, a pipe or `lr client` under a script: input() meets a closed stdin
    import io

    from lr_core.errors import CalibrationError, NoTerminalError
    from lr_core.motors import MotorCalibration, save_calibration

    if with_file:  # a file the registers do not hold: LeRobot asks "ENTER or c"
        calibration = {
            name: MotorCalibration(
                id=i + 1, drive_mode=0, homing_offset=7, range_min=1000, range_max=3000
            )
            for i, name in enumerate(
                [
                    "shoulder_pan",
                    "shoulder_lift",
                    "elbow_flex",
                    "wrist_flex",
                    "wrist_roll",
                    "gripper",
                ]
            )
        }
        save_calibration(calibration_home / "robots/so_follower/black.json", calibration)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    robot = make(so101_follower_emu)
    with pytest.raises(CalibrationError, match=r"lr calibrate --robot.type=so101_follower") as e:
        robot.connect()
    assert isinstance(e.value, NoTerminalError)  # lr_core.prompts.ask's error, made specific
    assert not robot.is_connected
