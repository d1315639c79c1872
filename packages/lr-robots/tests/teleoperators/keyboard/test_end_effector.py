"""``keyboard_ee``: LeRobot's deltas, joint targets through the SO-101 kinematics, events."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from lr_core.devices import TeleoperatorConfig
from lr_core.errors import HardwareError
from lr_robots.kinematics import SO101Kinematics
from lr_robots.teleoperators.events import TeleopEvents
from lr_robots.teleoperators.keyboard.config import KeyboardEndEffectorTeleopConfig
from lr_robots.teleoperators.keyboard.end_effector import KeyboardEndEffectorTeleop

START = {"shoulder_pan.pos": 0.0, "shoulder_lift.pos": -20.0, "elbow_flex.pos": 20.0,
         "wrist_flex.pos": 60.0, "wrist_roll.pos": 5.0, "gripper.pos": 30.0}  # fmt: skip
ARM = ["shoulder_pan", "shoulder_lift", "elbow_flex", "wrist_flex", "wrist_roll"]


def _teleop(**kwargs) -> KeyboardEndEffectorTeleop:
    return KeyboardEndEffectorTeleop(KeyboardEndEffectorTeleopConfig(backend="terminal", **kwargs))


def _tool(action) -> np.ndarray:
    return SO101Kinematics().forward([action[f"{m}.pos"] for m in ARM])[:3, 3]


@pytest.mark.parametrize(
    ("held", "expected"),
    [
        (("up",), {"delta_x": 0.0, "delta_y": -1.0, "delta_z": 0.0, "gripper": 1}),
        (("left", "shift_r"), {"delta_x": 1.0, "delta_y": 0.0, "delta_z": 1.0, "gripper": 1}),
        (
            ("right", "page_down", "ctrl_r"),
            {"delta_x": -1.0, "delta_y": 0.0, "delta_z": -1.0, "gripper": 2},
        ),
        (("down", "shift", "c"), {"delta_x": 0.0, "delta_y": 1.0, "delta_z": -1.0, "gripper": 0}),
    ],
)
def test_deltas_output_is_lerobots(keys, held, expected):
    with _teleop(output="deltas") as teleop:
        keys.press(*held)
        assert teleop.get_action() == expected
        assert set(teleop.action_features) == set(expected)


def test_arrow_keys_move_the_gripper_through_the_kinematics(keys, step):
    """A perfect robot (actions become the next observation): up moves the tool forward."""
    with _teleop(speed_m_s=0.05) as teleop:
        with pytest.raises(HardwareError, match="teleop.observe"):
            teleop.get_action()
        teleop.observe(START)
        start = _tool(START)
        keys.press("up")
        observation = dict(START)
        for _ in range(20):
            observation = step(teleop, 0.05)
            teleop.observe(observation)
        moved = _tool(observation) - start
        assert moved[1] == pytest.approx(-0.05, abs=0.002)  # 1 s at 5 cm/s, forward is -y
        assert abs(moved[0]) < 1e-3 and abs(moved[2]) < 1e-3
        kin = SO101Kinematics()
        pitch = kin.pitch([observation[f"{m}.pos"] for m in ARM])
        assert pitch == pytest.approx(kin.pitch([START[f"{m}.pos"] for m in ARM]), abs=1e-3)
        assert observation["wrist_roll.pos"] == pytest.approx(5.0)
        keys.release("up")
        keys.press("o")
        opened = step(teleop, 0.1)
        assert opened["gripper.pos"] == pytest.approx(30 + 50 * 0.1, abs=0.2)
        assert {k: v for k, v in opened.items() if k != "gripper.pos"} == {
            k: v for k, v in observation.items() if k != "gripper.pos"
        }


def test_the_target_stops_at_the_bounds_and_where_the_arm_cannot_reach(keys, step):
    bounds = {"min": (-0.3, -0.30, 0.0), "max": (0.3, -0.08, 0.4)}
    with _teleop(speed_m_s=0.2, bounds=bounds) as teleop:
        teleop.observe(START)
        keys.press("up")
        for _ in range(40):
            action = step(teleop, 0.05)
            teleop.observe(action)
        assert _tool(action)[1] == pytest.approx(-0.30, abs=2e-3)
    with _teleop(speed_m_s=0.2) as teleop:  # default bounds reach past the arm at this pitch
        teleop.observe(START)
        keys.press("up")
        actions = []
        for _ in range(40):
            actions.append(step(teleop, 0.05))
            teleop.observe(actions[-1])
        assert teleop.jog.refused > 0 and actions[-1] == actions[-2]  # holds, no jump
        steps = [np.linalg.norm(_tool(a) - _tool(b)) for a, b in itertools.pairwise(actions)]
        assert max(steps) <= 0.2 * 0.05 + 1e-3


def test_a_lagging_robot_is_not_given_a_runaway_target(keys, step):
    with _teleop(speed_m_s=0.2) as teleop:
        teleop.observe(START)  # the robot never moves afterwards
        keys.press("down")
        for _ in range(50):
            action = step(teleop, 0.05)
        assert np.linalg.norm(_tool(action) - _tool(START)) <= 0.05 + 1e-6
        assert teleop.jog.refused > 0


def test_events_once_per_press(keys):
    with _teleop() as teleop:
        teleop.observe(START)
        keys.press("s")
        keys.release("s")
        events = teleop.get_teleop_events()
        assert events[TeleopEvents.SUCCESS] and not events[TeleopEvents.TERMINATE_EPISODE]
        assert not teleop.get_teleop_events()[TeleopEvents.SUCCESS]
        keys.press("r", "left")
        events = teleop.get_teleop_events()
        assert (
            events["rerecord_episode"] and events["terminate_episode"] and events["is_intervention"]
        )


def test_registered_with_lerobots_field():
    cfg = TeleoperatorConfig.from_dict({"type": "keyboard_ee", "use_gripper": False})
    teleop = cfg.implementation_class()(cfg)
    assert "gripper.pos" not in teleop.action_features and len(teleop.action_features) == 5
