"""The record loop's timing on a fake clock: ticks on a fixed grid, late and missed ticks
counted, no frame ever stored twice; controls ending a phase; policy actions named by the
dataset's action names."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from lr_core.errors import FeatureError
from lr_core.features import FeatureSpec, PolicyFeature
from lr_core.teleoperator import Teleoperator
from lr_robots.record.events import RecordControls
from lr_robots.record.frames import build_dataset_frame, dataset_features
from lr_robots.record.loop import Driver, run_phase


class Clock:
    """A clock that moves only when the loop sleeps or works (``costs``: work per tick)."""

    def __init__(self, costs: dict[int, float] | None = None, default: float = 0.002) -> None:
        self.now = 100.0
        self.costs = costs or {}
        self.default = default
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(0.0, seconds)


class Robot:
    name = "fake"

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.reads = 0
        self.sent: list[dict[str, Any]] = []

    def get_observation(self) -> dict[str, Any]:
        self.clock.now += self.clock.costs.get(self.reads, self.clock.default)
        self.reads += 1
        return {"a.pos": float(self.reads), "b.pos": 0.5, "cam": np.full((4, 6, 3), self.reads)}

    def send_action(self, action: dict[str, Any]) -> dict[str, Any]:
        self.sent.append(action)
        return action


class Leader(Teleoperator):
    """A teleoperator that returns the robot's tick number (no hardware)."""

    name = "fake_leader"

    def __init__(self) -> None:
        self.n = 0

    action_features = {"a.pos": float, "b.pos": float}  # type: ignore[assignment]
    feedback_features: dict = {}  # type: ignore[assignment]
    is_connected = True  # type: ignore[assignment]
    is_calibrated = True  # type: ignore[assignment]

    def connect(self, calibrate: bool = True) -> None: ...
    def calibrate(self) -> None: ...
    def configure(self) -> None: ...
    def send_feedback(self, feedback: dict[str, Any]) -> None: ...
    def disconnect(self) -> None: ...

    def get_action(self) -> dict[str, Any]:
        self.n += 1
        return {"a.pos": float(self.n), "b.pos": -1.0}


class Dataset:
    def __init__(self) -> None:
        self.features = dataset_features(
            {"a.pos": float, "b.pos": float}, {"a.pos": float, "b.pos": float, "cam": (4, 6, 3)}
        )
        self.frames: list[dict[str, Any]] = []

    def add_frame(self, frame: dict[str, Any]) -> None:
        self.frames.append(frame)


def controls() -> RecordControls:
    return RecordControls.open("none")


def run(clock: Clock, duration: float = 1.0, fps: int = 10, **kwargs: Any):
    robot = Robot(clock)
    driver = Driver(teleop=Leader(), task="t")
    dataset = kwargs.pop("dataset", Dataset())
    try:
        report = run_phase(robot, driver, kwargs.pop("controls", controls()), fps=fps,
                           duration_s=duration, dataset=dataset, clock=clock,
                           sleep=clock.sleep, **kwargs)  # fmt: skip
    finally:
        driver.close()
    return report, robot, dataset


def test_ticks_on_time_store_one_frame_each_on_a_fixed_grid():
    clock = Clock()
    report, robot, dataset = run(clock)
    assert report.frames == 10 == len(dataset.frames) == robot.reads
    assert report.late_ticks == report.missed_ticks == 0
    # each sleep ends exactly on the grid: 0.1 s after the previous tick's due time
    assert all(abs(s - (0.1 - 0.002)) < 1e-9 for s in clock.sleeps)
    states = [f["observation.state"][0] for f in dataset.frames]
    assert states == list(range(1, 11))  # every observation once, in order
    assert dataset.frames[0]["action"].tolist() == [1.0, -1.0]
    assert dataset.frames[0]["task"] == "t"
    assert dataset.frames[0]["observation.images.cam"].shape == (4, 6, 3)


def test_a_late_tick_is_counted_and_the_grid_catches_up_without_drift():
    clock = Clock(costs={3: 0.06})  # tick 3 takes 60 ms of a 100 ms period: still on time
    report, _, _ = run(clock)
    assert report.late_ticks == 0 and report.frames == 10
    clock = Clock(costs={3: 0.13})  # tick 3 overruns: tick 4 starts 30 ms late
    report, _, _ = run(clock)
    assert report.late_ticks == 1 and report.missed_ticks == 0 and report.frames == 10
    assert abs(report.max_lateness_s - 0.030) < 1e-9
    assert abs(clock.now - (100.0 + 1.0)) < 1e-9  # the phase still ends at 1 s: no drift


def test_a_stall_misses_ticks_and_never_duplicates_a_frame():
    clock = Clock(costs={2: 0.35})  # tick 2 stalls 350 ms: ticks 3, 4, 5 cannot run
    report, robot, dataset = run(clock)
    assert report.missed_ticks == 2 and report.late_ticks == 1
    assert report.frames == 8 == robot.reads  # no frame stored for the missed ticks
    states = [f["observation.state"][0] for f in dataset.frames]
    assert states == sorted(set(states))  # each observation stored once
    assert "missed ticks 2" in report.summary()


def test_exit_early_ends_the_phase():
    clock = Clock()
    ctl = controls()
    calls = {"n": 0}
    original = ctl.poll

    def poll():
        calls["n"] += 1
        if calls["n"] == 4:
            ctl.events.apply("exit_early", "key n")
        return original()

    ctl.poll = poll  # type: ignore[method-assign]
    report, _, _ = run(clock, controls=ctl)
    assert report.frames == 3 and report.ended_by == "key n"


def test_reset_phase_stores_nothing_and_a_missing_action_key_is_named():
    clock = Clock()
    report, robot, _ = run(clock, dataset=None)
    assert report.frames == 0 and robot.reads == 10 and len(robot.sent) == 10
    features = dataset_features({"a.pos": float, "c.pos": float}, {"a.pos": float})
    with pytest.raises(FeatureError, match=r"the teleoperator gave no value for 'c.pos'"):
        build_dataset_frame(features, {"a.pos": 1.0}, "action", source="the teleoperator")


class Policy:
    input_features = {"observation.state": PolicyFeature(type="STATE", shape=(2,))}
    output_features = {"action": PolicyFeature(type="ACTION", shape=(2,))}

    def __init__(self) -> None:
        self.seen: list[dict[str, Any]] = []

    def select_action(self, observation: dict[str, Any]) -> np.ndarray:
        self.seen.append(observation)
        return np.array([[7.0, 8.0]], np.float32)


def test_a_policy_drives_the_robot_with_batched_frames_and_named_actions():
    clock = Clock()
    policy = Policy()
    dataset = Dataset()
    driver = Driver(policy=policy, features=dataset.features, task="pick")
    robot = Robot(clock)
    report = run_phase(robot, driver, controls(), fps=10, duration_s=0.3, dataset=dataset,
                       use_policy=True, clock=clock, sleep=clock.sleep)  # fmt: skip
    assert report.frames == 3
    assert robot.sent[0] == {"a.pos": 7.0, "b.pos": 8.0}
    first = policy.seen[0]
    assert first["observation.state"].shape == (1, 2) and first["task"] == ["pick"]
    assert first["observation.images.cam"].shape == (1, 4, 6, 3)
    assert dataset.frames[0]["action"].tolist() == [7.0, 8.0]


def test_features_of_a_robot_match_lerobots_layout():
    features = dataset_features({"a.pos": float}, {"a.pos": float, "cam": (4, 6, 3)},
                                use_video=False)  # fmt: skip
    assert set(features) == {"action", "observation.state", "observation.images.cam"}
    assert features["observation.images.cam"] == FeatureSpec(
        dtype="image", shape=(4, 6, 3), names=["height", "width", "channels"],
        info={"is_depth_map": False},
    )  # fmt: skip
