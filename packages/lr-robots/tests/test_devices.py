"""Every robot and teleoperator lr-robots registers builds from its registry name, and its
features are known while disconnected (what a dataset is created from)."""

from __future__ import annotations

import pytest

from lr_core import registry
from lr_core.devices import RobotConfig, TeleoperatorConfig
from lr_core.errors import PluginError
from lr_core.features import hw_to_dataset_features
from lr_robots.devices import make_robot_from_config, make_teleoperator_from_config

ROBOTS = {
    "so100_follower": {"port": "p"},
    "so101_follower": {"port": "p"},
    "koch_follower": {"port": "p"},
    "omx_follower": {"port": "p"},
    "bi_so_follower": {"left_arm_config": {"port": "a"}, "right_arm_config": {"port": "b"}},
    "hope_jr_arm": {"port": "p"},
    "hope_jr_hand": {"port": "p", "side": "left"},
}
TELEOPERATORS = {
    "so100_leader": {"port": "p"},
    "so101_leader": {"port": "p"},
    "koch_leader": {"port": "p"},
    "omx_leader": {"port": "p"},
    "bi_so_leader": {"left_arm_config": {"port": "a"}, "right_arm_config": {"port": "b"}},
    "homunculus_arm": {"port": "p"},
    "homunculus_glove": {"port": "p", "side": "right"},
}


def test_lerobot_registry_names_are_registered():
    assert set(ROBOTS) <= set(registry.names("lr.robots"))
    assert set(TELEOPERATORS) <= set(registry.names("lr.teleoperators"))


@pytest.mark.parametrize("name", list(ROBOTS))
def test_robot_features_while_disconnected(name, calibration_home):
    robot = make_robot_from_config(RobotConfig.from_dict({"type": name, **ROBOTS[name]}))
    assert not robot.is_connected
    action = hw_to_dataset_features(robot.action_features, "action")["action"]
    state = hw_to_dataset_features(robot.observation_features, "observation")
    assert action.names == list(robot.action_features)
    assert state["observation.state"].shape == action.shape
    assert all(k.endswith(".pos") for k in robot.action_features)


@pytest.mark.parametrize("name", list(TELEOPERATORS))
def test_teleoperator_features_while_disconnected(name, calibration_home):
    teleop = make_teleoperator_from_config(
        TeleoperatorConfig.from_dict({"type": name, **TELEOPERATORS[name]})
    )
    assert not teleop.is_connected
    assert all(k.endswith(".pos") for k in teleop.action_features)


def test_leaders_and_followers_pair_up(calibration_home):
    pairs = [
        ("so101_follower", "so101_leader"),
        ("koch_follower", "koch_leader"),
        ("omx_follower", "omx_leader"),
        ("bi_so_follower", "bi_so_leader"),
        ("hope_jr_arm", "homunculus_arm"),
        ("hope_jr_hand", "homunculus_glove"),
    ]
    for follower, leader in pairs:
        robot = make_robot_from_config(
            RobotConfig.from_dict({"type": follower, **ROBOTS[follower]})
        )
        teleop = make_teleoperator_from_config(
            TeleoperatorConfig.from_dict({"type": leader, **TELEOPERATORS[leader]})
        )
        assert robot.action_features == teleop.action_features, (follower, leader)


def test_a_config_naming_a_non_robot_is_refused():
    class Odd(RobotConfig):
        type: str = "odd"

        @classmethod
        def implementation_class(cls) -> type:
            return dict

    with pytest.raises(PluginError, match="not a Robot"):
        make_robot_from_config(Odd())
