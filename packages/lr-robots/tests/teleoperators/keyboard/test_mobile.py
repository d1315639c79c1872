"""``keyboard_rover`` (LeRobot's rover keys) and ``keyboard_base`` (LeKiwi's base keys)."""

from __future__ import annotations

import pytest

from lr_core.devices import TeleoperatorConfig
from lr_core.errors import ConfigError
from lr_robots.teleoperators.keyboard.config import (
    KeyboardBaseTeleopConfig,
    KeyboardRoverTeleopConfig,
)
from lr_robots.teleoperators.keyboard.holonomic import KeyboardBaseTeleop, LeKiwiBaseKeys
from lr_robots.teleoperators.keyboard.rover import KeyboardRoverTeleop


def _rover(**kwargs) -> KeyboardRoverTeleop:
    return KeyboardRoverTeleop(KeyboardRoverTeleopConfig(backend="terminal", **kwargs))


def test_rover_keys_as_lerobot(keys):
    with _rover() as rover:
        keys.press("w")
        assert rover.get_action() == {"linear_velocity": 1.0, "angular_velocity": 0.0}
        keys.release("w")
        keys.press("a")
        assert rover.get_action() == {
            "linear_velocity": pytest.approx(0.3),
            "angular_velocity": 1.0,
        }
        keys.release("a")
        keys.press("e")
        assert rover.get_action() == {"linear_velocity": 0.0, "angular_velocity": -1.0}
        keys.press("x")
        assert rover.get_action() == {"linear_velocity": 0.0, "angular_velocity": 0.0}
        keys.release("e", "x")


def test_rover_speed_changes_once_per_press(keys):
    with _rover() as rover:
        keys.press("=")
        for _ in range(5):  # held across several actions: one step only
            rover.get_action()
        keys.release("=")
        keys.press("s")
        assert rover.get_action()["linear_velocity"] == pytest.approx(-1.1)
        keys.release("s")
        for _ in range(30):
            keys.press("-")
            keys.release("-")
            rover.get_action()
        assert rover.current_linear_speed == pytest.approx(0.1)
        assert rover.current_angular_speed == pytest.approx(0.05)


def test_lekiwi_base_keys(keys):
    teleop = KeyboardBaseTeleop(KeyboardBaseTeleopConfig(backend="terminal"))
    with teleop:
        keys.press("w", "a", "z")
        assert teleop.get_action() == {"x.vel": 0.1, "y.vel": 0.1, "theta.vel": 30.0}
        keys.press("r")
        assert teleop.get_action() == {"x.vel": 0.2, "y.vel": 0.2, "theta.vel": 60.0}
        keys.release("r", "w", "a", "z")
        keys.press("s", "d", "x")
        assert teleop.get_action() == {"x.vel": -0.2, "y.vel": -0.2, "theta.vel": -60.0}
        keys.press("w")  # opposite keys cancel
        assert teleop.get_action()["x.vel"] == 0.0
        assert not teleop.quit_requested
        keys.press("q")
        assert teleop.quit_requested


def test_lekiwi_speed_levels_saturate_and_configs_are_checked():
    base = LeKiwiBaseKeys()
    for _ in range(5):
        base.press("r")
    assert base.action({"w"}) == {"x.vel": 0.3, "y.vel": 0.0, "theta.vel": 0.0}
    for _ in range(5):
        base.press("f")
    assert base.speed_index == 0
    with pytest.raises(ConfigError, match="lacks rotate_left"):
        LeKiwiBaseKeys(
            {"forward": "w", "backward": "s", "left": "a", "right": "d", "rotate_right": "x"}
        )
    cfg = TeleoperatorConfig.from_dict({"type": "keyboard_rover", "linear_speed": 0.5})
    assert cfg.implementation_class() is KeyboardRoverTeleop
