"""The teleoperation loop passes each observation to a teleoperator that uses it before asking
for its action; leader arms are asked before the robot is read and answered after, in the
loop's own thread; every step's phases are timed."""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable
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


class Leader(Teleoperator):
    """A leader whose read splits in two, as ``LeaderArm.start_get_action`` does."""

    name = "split"

    def __init__(self, events: list[str]) -> None:
        self.events = events
        self.threads: set[int] = set()

    def start_get_action(self) -> Callable[[], dict[str, float]]:
        self.events.append("ask leader")
        self.threads.add(threading.get_ident())

        def collect() -> dict[str, float]:
            self.events.append("collect leader")
            self.threads.add(threading.get_ident())
            return {"j.pos": 7.0}

        return collect

    def get_action(self) -> dict[str, float]:
        raise AssertionError("the loop uses the split read")

    action_features = feedback_features = {}  # type: ignore[assignment]
    is_connected = is_calibrated = True  # type: ignore[assignment]
    connect = calibrate = configure = send_feedback = disconnect = lambda *a, **k: None  # type: ignore[assignment]


class LoggingRobot(Robot):
    def __init__(self, events: list[str], fail_at: int | None = None) -> None:
        super().__init__()
        self.events, self.fail_at, self.reads = events, fail_at, 0

    def get_observation(self) -> dict[str, Any]:
        self.events.append("read robot")
        self.reads += 1
        if self.reads == self.fail_at:
            raise OSError("follower unplugged")
        return super().get_observation()


def test_a_leader_is_asked_before_the_robot_is_read_and_collected_after_in_the_same_thread():
    events: list[str] = []
    leader, robot = Leader(events), LoggingRobot(events)
    stats = teleop_loop(leader, robot, fps=1000, duration=0.2)
    assert stats.count == len(robot.sent) > 3
    assert events[:3] == ["ask leader", "read robot", "collect leader"]
    assert events == ["ask leader", "read robot", "collect leader"] * stats.count
    assert leader.threads == {threading.get_ident()}  # no worker thread
    assert [a["j.pos"] for a in robot.sent] == [7.0] * stats.count


def test_parallel_reads_off_reads_the_teleoperator_after_the_robot():
    robot = Robot()
    jog = Jog()
    stats = teleop_loop(jog, robot, fps=1000, duration=0.1, parallel_reads=False)
    assert stats.count == len(jog.seen) > 1


def test_an_error_reading_the_robot_ends_the_loop_without_collecting_or_leaving_threads():
    events: list[str] = []
    threads = threading.active_count()
    with pytest.raises(OSError, match="unplugged"):
        teleop_loop(Leader(events), LoggingRobot(events, fail_at=3), fps=1000, duration=5)
    assert events[-2:] == ["ask leader", "read robot"]
    assert events.count("collect leader") == 2
    assert threading.active_count() == threads
    assert gc.get_freeze_count() == 0  # the loop's gc freeze was undone


def test_every_step_is_timed_by_phase():
    robot = Robot()
    stats = teleop_loop(Leader([]), robot, fps=1000, duration=0.1)
    for name in ("observation", "action", "send"):
        assert len(stats.phase_s[name]) == stats.count
        assert all(t >= 0 for t in stats.phase_s[name])
    assert "; p50/p99 ms: observation " in stats.summary()


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
