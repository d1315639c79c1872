import time

import numpy as np
import pytest

from lr_core.devices import RobotConfig
from lr_core.errors import DeviceAlreadyConnectedError, DeviceNotConnectedError, FeatureError
from lr_core.features import hw_to_dataset_features
from lr_sim.robot import SimSO101
from lr_sim.robot_config import SimCameraConfig, SimSO101Config
from lr_sim.so101.joints import STATE_NAMES


def make_robot(tmp_path, **kwargs) -> SimSO101:
    config = SimSO101Config(id="sim", calibration_dir=tmp_path, realtime=False, **kwargs)
    return SimSO101(config)


def test_registered_in_lr_robots():
    assert RobotConfig.for_type("sim_so101") is SimSO101Config
    assert SimSO101Config.implementation_class() is SimSO101


def test_features_are_the_real_followers(tmp_path):
    robot = make_robot(tmp_path, cameras={"front": SimCameraConfig(width=32, height=24)})
    assert list(robot.action_features) == STATE_NAMES
    assert robot.observation_features["front"] == (24, 32, 3)
    features = hw_to_dataset_features(robot.observation_features, "observation")
    assert features["observation.state"].names == STATE_NAMES
    assert features["observation.images.front"].shape == (24, 32, 3)


def test_observe_act_and_return_the_sent_action(tmp_path):
    cams = {
        "front": SimCameraConfig(width=32, height=24),
        "wrist": SimCameraConfig(camera="wrist", width=16, height=16),
    }
    with make_robot(tmp_path, cameras=cams) as robot:
        obs = robot.get_observation()
        assert set(obs) == {*STATE_NAMES, "front", "wrist"}
        assert obs["front"].shape == (24, 32, 3) and obs["wrist"].shape == (16, 16, 3)
        goal = obs["shoulder_pan.pos"] + 15.0
        sent = robot.send_action({"shoulder_pan.pos": goal})
        assert sent == {"shoulder_pan.pos": pytest.approx(goal)}
        for _ in range(20):
            robot.send_action({"shoulder_pan.pos": goal})
        after = robot.get_observation()
        assert after["shoulder_pan.pos"] == pytest.approx(goal, abs=1.0)
        # motors left out of the action keep their goal
        assert after["elbow_flex.pos"] == pytest.approx(obs["elbow_flex.pos"], abs=1.0)
    assert not robot.is_connected


def test_max_relative_target_clamps_like_the_real_follower(tmp_path):
    with make_robot(tmp_path, max_relative_target=5.0) as robot:
        present = robot.get_observation()["wrist_flex.pos"]
        sent = robot.send_action({"wrist_flex.pos": present + 50})
        assert sent["wrist_flex.pos"] == pytest.approx(present + 5, abs=1e-3)


def test_bad_actions_and_states_are_clear_errors(tmp_path):
    robot = make_robot(tmp_path)
    with pytest.raises(DeviceNotConnectedError):
        robot.get_observation()
    robot.connect()
    with pytest.raises(DeviceAlreadyConnectedError):
        robot.connect()
    with pytest.raises(FeatureError, match="unknown action key 'elbow.pos'"):
        robot.send_action({"elbow.pos": 1.0})
    with pytest.raises(FeatureError, match="finite"):
        robot.send_action({"gripper.pos": float("nan")})
    robot.disconnect()


def test_realtime_mode_follows_the_wall_clock(tmp_path):
    config = SimSO101Config(id="rt", calibration_dir=tmp_path, realtime=True)
    with SimSO101(config) as robot:
        robot.get_observation()
        start = robot.sim.data.time
        time.sleep(0.2)
        robot.get_observation()
        assert 0.15 < robot.sim.data.time - start < 0.6


def test_seeded_scene_layout(tmp_path):
    with make_robot(tmp_path, seed=5) as a, make_robot(tmp_path, seed=5) as b:
        np.testing.assert_array_equal(a.sim.cube_pose, b.sim.cube_pose)
