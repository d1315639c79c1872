"""One phase of ``lr record``: an episode (frames stored) or a reset (nothing stored).

Each tick: read the observation (cameras through ``read_latest``, inside
``robot.get_observation``), get the action from the teleoperator (read in parallel with the
robot when it does not need the observation) or from the policy, send it through the robot's
safety path, add the frame (``observation.*``, the action, the task) to the dataset, show it in
rerun, then sleep to the next tick.

Timing is drift-free: tick ``k`` is due at ``start + k / fps`` whatever the earlier ticks took.
The dataset's timestamps are ``frame_index / fps`` (LeRobot's), so a tick that starts late stores
its observation under a time it was not taken at. Nothing hides this:

- a **late tick** starts more than :data:`LATE_FRACTION` of a period after it was due;
- when the loop falls more than a whole period behind (a stall), the ticks it could not run are
  **missed**: no frame is stored for them (never a copy of another frame), the grid keeps its
  phase, and the episode is that much shorter in frames than in wall time.

Both are counted per episode (:class:`PhaseReport`) and printed when the episode ends, with the
worst tick's duration. Camera frames repeated from the previous tick (a camera slower than the
loop, seen through ``frame_count``) are counted too.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lr_core.teleoperator import Teleoperator
from lr_robots.control.timing import precise_sleep
from lr_robots.record.events import RecordControls
from lr_robots.record.frames import action_from_vector, build_dataset_frame
from lr_robots.record.interrupts import InterruptGate

#: a tick starting later than this fraction of a period after its due time is late
LATE_FRACTION = 0.25


@dataclass
class PhaseReport:
    """What one episode (or reset phase) did, for the user and the benchmark."""

    kind: str
    fps: int
    frames: int = 0
    late_ticks: int = 0
    missed_ticks: int = 0
    #: each tick's work (observation → frame added), s
    work_s: list[float] = field(default_factory=list)
    #: the largest delay of a tick's start after its due time, s
    max_lateness_s: float = 0.0
    #: per camera: ticks that got the same frame as the tick before
    repeated_camera_frames: dict[str, int] = field(default_factory=dict)
    duration_s: float = 0.0
    #: how the phase ended: "time", "key n", "teleoperator", "Ctrl-C"...
    ended_by: str = "time"

    @property
    def max_work_ms(self) -> float:
        """The slowest tick's work (ms)."""
        return max(self.work_s, default=0.0) * 1e3

    def percentile_work_ms(self, q: float) -> float:
        """The ``q``-th percentile of the ticks' work (ms)."""
        return float(np.percentile(self.work_s, q)) * 1e3 if self.work_s else 0.0

    def summary(self) -> str:
        """``"1800 frames in 60.0 s, late ticks 0, missed ticks 0, worst tick 9.1 ms ..."``."""
        repeated = ", ".join(f"{k} {v}" for k, v in self.repeated_camera_frames.items() if v)
        return (
            f"{self.frames} frames in {self.duration_s:.1f} s at {self.fps} fps, late ticks "
            f"{self.late_ticks}, missed ticks {self.missed_ticks}, worst tick "
            f"{self.max_work_ms:.1f} ms (p99 {self.percentile_work_ms(99):.1f} ms, latest start "
            f"{self.max_lateness_s * 1e3:.1f} ms after due)"
            + (f", repeated camera frames: {repeated}" if repeated else "")
        )


@dataclass
class Driver:
    """Where actions come from: a teleoperator, or a policy (with the dataset features that
    name its inputs and outputs)."""

    teleop: Teleoperator | None = None
    policy: Any = None
    features: Mapping[str, Any] | None = None
    task: str = ""
    robot_type: str = ""
    _start_action: Callable[[], Callable[[], dict[str, Any]]] | None = None

    def __post_init__(self) -> None:
        teleop = self.teleop
        if teleop is not None and type(teleop).observe is Teleoperator.observe:
            # a leader arm does not need the observation: it is asked before the robot is read
            # and answers meanwhile, in this thread (as lr_robots.control.loops.teleop_loop)
            self._start_action = getattr(teleop, "start_get_action", None)

    def step(self, robot: Any, use_policy: bool) -> tuple[dict[str, Any], dict[str, Any] | None]:
        """``(observation, action)``; the action is ``None`` when nothing drives the robot."""
        if use_policy and self.policy is not None:
            observation = robot.get_observation()
            return observation, self._policy_action(observation)
        teleop = self.teleop
        if teleop is None:
            return robot.get_observation(), None
        if self._start_action is not None:
            collect = self._start_action()
            # an error here leaves the leader's replies unread: its next transaction drops them
            observation = robot.get_observation()
            return observation, collect()
        observation = robot.get_observation()
        teleop.observe(observation)
        return observation, teleop.get_action()

    def _policy_action(self, observation: Mapping[str, Any]) -> dict[str, Any]:
        assert self.features is not None
        frame = build_dataset_frame(self.features, observation, "observation", source="the robot")
        batch: dict[str, Any] = {k: v[None] for k, v in frame.items()}
        batch["task"] = [self.task]
        vector = self.policy.select_action(batch)
        return action_from_vector(self.features, np.asarray(vector)[0])

    def warm_up(self, robot: Any) -> None:
        """One observation and one action, neither sent nor stored: the first camera frame,
        a simulator's first render and a policy's first inference (torch's lazy set-up) take
        far longer than a tick, and would otherwise make the first episode miss its first
        ticks."""
        observation = robot.get_observation()
        if self.policy is not None:
            self._policy_action(observation)
            self.policy.reset()
        elif self.teleop is not None:
            self.teleop.observe(observation)
            self.teleop.get_action()

    def close(self) -> None:
        """Release what the driver holds (nothing since the leader is read in the loop's own
        thread; kept for the callers)."""
        self._start_action = None


def _camera_counts(robot: Any) -> dict[str, Any]:
    cameras = getattr(robot, "cameras", None)
    if not isinstance(cameras, Mapping):
        return {}
    return {k: c for k, c in cameras.items() if hasattr(c, "frame_count")}


def run_phase(
    robot: Any,
    driver: Driver,
    controls: RecordControls,
    *,
    fps: int,
    duration_s: float,
    dataset: Any = None,
    use_policy: bool = False,
    display: Callable[[dict[str, Any], dict[str, Any] | None], None] | None = None,
    gate: InterruptGate | None = None,
    clock: Callable[[], float] = time.perf_counter,
    sleep: Callable[[float], None] = precise_sleep,
) -> PhaseReport:
    """Run one phase for ``duration_s`` seconds of wall time at ``fps`` (see the module
    docstring). With ``dataset`` each tick's frame is added to it (``driver.task`` as task).
    Ends early when a control flags ``exit_early``; returns the phase's :class:`PhaseReport`.
    With ``gate``, an interrupt arriving while a frame is added is raised after it.
    ``clock`` / ``sleep`` are ``time.perf_counter`` / :func:`precise_sleep` (replaceable in
    tests).
    """
    hold = gate.hold if gate is not None else contextlib.nullcontext
    report = PhaseReport(kind="episode" if dataset is not None else "reset", fps=fps)
    features = dataset.features if dataset is not None else None
    period = 1.0 / fps
    cameras = _camera_counts(robot)
    last_count = {k: -1 for k in cameras}
    report.repeated_camera_frames = dict.fromkeys(cameras, 0)
    start = clock()
    k = 0
    try:
        while True:
            due = start + k * period
            if due - start >= duration_s - 1e-9:
                break
            if controls.poll().exit_early:
                report.ended_by = controls.events.source or "key"
                break
            now = clock()
            lateness = now - due
            if lateness > period:  # a stall: skip the ticks that cannot be run, keep the phase
                skipped = math.floor(lateness / period)
                report.missed_ticks += skipped
                k += skipped
                due = start + k * period
                if due - start >= duration_s - 1e-9:
                    break
                lateness = now - due
            if lateness > LATE_FRACTION * period:
                report.late_ticks += 1
            report.max_lateness_s = max(report.max_lateness_s, lateness)

            t0 = clock()
            observation, action = driver.step(robot, use_policy)
            if action is not None:
                robot.send_action(action)
            if dataset is not None and features is not None and action is not None:
                frame: dict[str, Any] = build_dataset_frame(features, observation, "observation",
                                            source="the robot")  # fmt: skip
                frame.update(build_dataset_frame(features, action, "action",
                                                 source=_source(driver, use_policy)))  # fmt: skip
                frame["task"] = driver.task
                with hold():
                    dataset.add_frame(frame)
                    report.frames += 1
            for key, camera in cameras.items():
                count = camera.frame_count
                if count == last_count[key]:
                    report.repeated_camera_frames[key] += 1
                last_count[key] = count
            if display is not None:
                display(observation, action)
            report.work_s.append(clock() - t0)
            k += 1
            sleep(start + k * period - clock())
    except KeyboardInterrupt:
        report.ended_by = "Ctrl-C"
        raise
    finally:
        report.duration_s = clock() - start
    return report


def _source(driver: Driver, use_policy: bool) -> str:
    if use_policy and driver.policy is not None:
        return "the policy"
    return f"the teleoperator {driver.teleop}"
