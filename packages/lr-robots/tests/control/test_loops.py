"""The teleoperation loop passes each observation to a teleoperator that uses it before asking
for its action; leader arms are read alongside the robot."""

from __future__ import annotations

from typing import Any

import pytest

from lr_core.teleoperator import Teleoperator
from lr_robots.control.loops import replay_loop, teleop_loop


class Robot:
    action_features = {"j.pos": float}

    def __init__(self) -> None:
        self.position = 0.0
        self.sent: list[dict[str, Any]] = []

    def get_observation(self) -> dict[str, Any]:
        return {"j.pos": self.position}

    def send_action(self, action: dict[str, Any]) -> dict[str, Any]:
        self.position = action["j.pos"]
        self.sent.append(action)
        return action


class Jog(Teleoperator):
    """Moves one step from wherever the robot is: needs the observation first."""

    name = "jog"

    def __init__(self) -> None:  # no config, no calibration file
        self.seen: list[float] = []

    def observe(self, observation: dict[str, Any]) -> None:
        self.seen.append(observation["j.pos"])

    def get_action(self) -> dict[str, float]:
        return {"j.pos": self.seen[-1] + 1.0}

    action_features = feedback_features = {}  # type: ignore[assignment]
    is_connected = is_calibrated = True  # type: ignore[assignment]
    connect = calibrate = configure = send_feedback = disconnect = lambda *a, **k: None  # type: ignore[assignment]


def test_the_observation_reaches_the_teleoperator_before_its_action(clock):
    robot, jog = Robot(), Jog()
    stats = teleop_loop(jog, robot, fps=1000, duration=0.05)
    assert stats.count == len(robot.sent) == 50  # 50 ms at 1 kHz on the fake clock
    assert [a["j.pos"] for a in robot.sent] == [k + 1.0 for k in range(len(robot.sent))]
    assert jog.seen == [float(k) for k in range(len(robot.sent))]


def test_replay_sends_every_action_in_order():
    robot = Robot()
    replay_loop(robot, [{"j.pos": float(k)} for k in range(5)], fps=1000)
    assert [a["j.pos"] for a in robot.sent] == [0.0, 1.0, 2.0, 3.0, 4.0]


def test_replay_sends_each_action_on_the_fps_grid(clock):
    """Action k leaves at start + k / fps (the dataset's 30 fps), whatever the machine's load:
    checked on the fake clock, not by measuring a rate."""
    robot, sent_at = Robot(), []
    start = clock.now
    stats = replay_loop(robot, [{"j.pos": float(k)} for k in range(30)], fps=30,
                        on_step=lambda *_: sent_at.append(clock.now - start))  # fmt: skip
    assert [a["j.pos"] for a in robot.sent] == [float(k) for k in range(30)]
    assert sent_at == pytest.approx([k / 30 for k in range(30)])
    assert stats.count == 30
    assert stats.loop_s == pytest.approx([1 / 30] * 30)
