"""``keyboard``: joint jog from the robot's positions, lead limit, LeRobot's raw keys."""

from __future__ import annotations

import pytest

from lr_core.devices import TeleoperatorConfig
from lr_core.errors import ConfigError, HardwareError
from lr_robots.teleoperators.keyboard.config import KeyboardTeleopConfig
from lr_robots.teleoperators.keyboard.joint_jog import KeyboardTeleop

OBS = {
    "shoulder_pan.pos": 0.0,
    "shoulder_lift.pos": -20.0,
    "elbow_flex.pos": 30.0,
    "wrist_flex.pos": 60.0,
    "wrist_roll.pos": 0.0,
    "gripper.pos": 40.0,
}


def _teleop(**kwargs) -> KeyboardTeleop:
    return KeyboardTeleop(KeyboardTeleopConfig(backend="terminal", **kwargs))


def test_held_keys_jog_their_joints_from_where_the_robot_is(keys, step):
    with _teleop() as teleop:
        with pytest.raises(HardwareError, match="teleop.observe"):
            teleop.get_action()
        teleop.observe(OBS)
        assert step(teleop, 0.05) == OBS  # nothing held: the robot's own positions
        keys.press("w", "h")
        action = step(teleop, 0.05)
        assert action["shoulder_lift.pos"] == pytest.approx(-20 + 30 * 0.05, abs=0.05)
        assert action["gripper.pos"] == pytest.approx(40 - 50 * 0.05, abs=0.1)
        keys.release("w", "h")
        assert step(teleop, 0.05) == action  # held where it was


def test_targets_do_not_run_away_from_a_stopped_joint(keys, step):
    with _teleop(max_lead=5.0) as teleop:
        teleop.observe(OBS)
        keys.press("q")
        for _ in range(20):
            action = step(teleop, 0.1)
        assert action["shoulder_pan.pos"] == pytest.approx(5.0)  # the joint never moved


def test_raw_keys_as_lerobot(keys):
    with _teleop(output="keys") as teleop:
        keys.press("w", "up")
        assert teleop.get_action() == {"up": None, "w": None}
        assert teleop.action_features == {}


def test_config_is_registered_and_checked():
    cfg = TeleoperatorConfig.from_dict({"type": "keyboard", "speed": 10})
    assert isinstance(cfg, KeyboardTeleopConfig)
    assert cfg.implementation_class() is KeyboardTeleop
    with pytest.raises(ConfigError, match="not in motors: elbow"):
        _teleop(keys={"x": ("elbow", 1)})
    with pytest.raises(ConfigError, match="must be 1 or -1"):
        _teleop(keys={"x": ("gripper", 2)})


def test_features_and_no_calibration():
    teleop = _teleop()
    assert list(teleop.action_features) == [
        "shoulder_pan.pos", "shoulder_lift.pos", "elbow_flex.pos",
        "wrist_flex.pos", "wrist_roll.pos", "gripper.pos",
    ]  # fmt: skip
    assert teleop.feedback_features == {} and teleop.is_calibrated and not teleop.is_connected
