"""``lekiwi_leader``: an SO leader (emulated) and the keyboard (a pty typing kitty-protocol
keys) as one teleoperator. (``lr teleoperate`` with it, driving LeKiwi through its host, is in
``tests/robots/lekiwi/test_teleoperate.py``.)"""

from __future__ import annotations

import pytest

from lr_core.devices import TeleoperatorConfig
from lr_robots.teleoperators.lekiwi_leader import LeKiwiLeader, LeKiwiLeaderConfig

TICK = 360 / 4095


@pytest.fixture
def leader(calibration_home, so101_leader_emu, calibrate_emulated):
    calibrate_emulated(so101_leader_emu, calibration_home / "teleoperators/so_leader/blue.json")
    return so101_leader_emu


def test_actions_are_the_prefixed_leader_and_the_base_keys(leader, keys):
    config = TeleoperatorConfig.from_dict({
        "type": "lekiwi_leader", "backend": "terminal",
        "arm": {"type": "so101_leader", "port": leader.port, "id": "blue"},
    })  # fmt: skip
    assert isinstance(config, LeKiwiLeaderConfig)
    teleop = LeKiwiLeader(config)
    assert list(teleop.action_features) == [
        "arm_shoulder_pan.pos", "arm_shoulder_lift.pos", "arm_elbow_flex.pos",
        "arm_wrist_flex.pos", "arm_wrist_roll.pos", "arm_gripper.pos",
        "x.vel", "y.vel", "theta.vel",
    ]  # fmt: skip
    teleop.connect()
    assert teleop.is_connected and teleop.is_calibrated
    leader.move("elbow_flex", 2500)
    keys.press("w", "z")
    action = teleop.get_action()
    assert action["arm_elbow_flex.pos"] == pytest.approx(500 * TICK)
    assert (action["x.vel"], action["y.vel"], action["theta.vel"]) == (0.1, 0.0, 30.0)
    keys.release("w", "z")
    assert teleop.get_action()["x.vel"] == 0.0
    teleop.disconnect()
    assert not teleop.is_connected


def test_base_only_without_an_arm(keys):
    teleop = LeKiwiLeader(LeKiwiLeaderConfig(backend="terminal"))
    assert list(teleop.action_features) == ["x.vel", "y.vel", "theta.vel"]
    with teleop:
        keys.press("d")
        assert teleop.get_action() == {"x.vel": 0.0, "y.vel": -0.1, "theta.vel": 0.0}
        keys.release("d")


def test_a_keyboard_that_cannot_open_leaves_the_arm_disconnected(leader, monkeypatch):
    from lr_core.errors import HardwareError
    from lr_robots.teleoperators.keyboard.device import KeyboardDevice

    def fail(self, calibrate=True):
        raise HardwareError("no terminal")

    monkeypatch.setattr(KeyboardDevice, "connect", fail)
    teleop = LeKiwiLeader(LeKiwiLeaderConfig(
        backend="terminal", arm={"type": "so101_leader", "port": leader.port, "id": "blue"}
    ))  # fmt: skip
    with pytest.raises(HardwareError, match="no terminal"):
        teleop.connect()
    assert teleop.arm is not None and not teleop.arm.is_connected
