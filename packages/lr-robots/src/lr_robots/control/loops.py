"""The control loops behind ``lr teleoperate`` and ``lr replay`` (and, next, ``lr record``).

Each loop runs at ``fps`` on a :class:`~lr_robots.control.timing.Ticker` grid, records every
iteration in :class:`~lr_robots.control.timing.LoopStats`, and leaves connecting, signals and
the safe shutdown to its caller (see :mod:`lr_robots.control.session`). An exception, Ctrl-C or
SIGTERM (:class:`~lr_robots.control.safety.Stopped`) ends the loop where it is.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from lr_core.robot import Robot
from lr_core.teleoperator import Teleoperator
from lr_robots.control.timing import LoopStats, Ticker, frozen_gc

#: ``on_step(observation, action, sent_action)`` after each teleoperation step
StepFn = Callable[[dict[str, Any], dict[str, Any], dict[str, Any]], None]


#: ``display(observation, action)`` after each step (e.g. a rerun view)
DisplayFn = Callable[[dict[str, Any], dict[str, Any]], None]


def teleop_loop(
    teleop: Teleoperator,
    robot: Robot,
    fps: int,
    duration: float | None = None,
    *,
    display: DisplayFn | None = None,
    on_step: StepFn | None = None,
    stats: LoopStats | None = None,
    parallel_reads: bool = True,
) -> LoopStats:
    """Leader → follower at ``fps`` (Hz) for ``duration`` s (forever when ``None``).

    Each step reads the robot's observation (positions and camera frames, as LeRobot's loop
    does), passes it to the teleoperator (:meth:`~lr_core.teleoperator.Teleoperator.observe`),
    reads the teleoperator's action and sends it; ``on_step`` sees all three, ``display``
    the observation and the action (:class:`lr_robots.visualization.RerunDisplay`).

    With ``parallel_reads``, a teleoperator that does not use the observation and can split
    its read (a leader arm: ``start_get_action``) is asked for its positions before the robot
    is read and answered after: two serial buses, so the two round trips overlap, in this one
    thread. (A worker thread did the same until the loop was measured on a busy machine: each
    hand-off between threads is a wake-up the scheduler may serve a time slice late, and the
    loop ran slower than reading in turn.) Other teleoperators are read after the robot.

    Each step's phases are timed into ``stats`` (``observation``, ``action``, ``send``), and the
    collector's objects alive at the start are frozen for the loop (:func:`frozen_gc`).
    """
    stats = stats or LoopStats()
    observes = type(teleop).observe is not Teleoperator.observe
    start_action: Callable[[], Callable[[], dict[str, Any]]] | None = None
    if parallel_reads and not observes:
        start_action = getattr(teleop, "start_get_action", None)
    clock = time.perf_counter
    with frozen_gc():
        ticker = Ticker(fps)
        start = clock()
        try:
            while True:
                t0 = clock()
                if start_action is not None:
                    collect = start_action()
                    # an error here leaves the leader's replies unread: its next transaction
                    # drops them (every request first clears stale input)
                    observation = robot.get_observation()
                    t1 = clock()
                    action = collect()
                else:
                    observation = robot.get_observation()
                    t1 = clock()
                    teleop.observe(observation)
                    action = teleop.get_action()
                t2 = clock()
                sent = robot.send_action(action)
                t3 = clock()
                if on_step is not None:
                    on_step(observation, action, sent)
                if display is not None:
                    display(observation, action)
                work = clock() - t0
                ticker.wait()
                stats.add(clock() - t0, work)
                stats.add_phases(t1 - t0, t2 - t1, t3 - t2)
                if duration is not None and clock() - start >= duration:
                    break
        finally:
            stats.stop()
    return stats


def replay_loop(
    robot: Robot,
    actions: Iterable[dict[str, Any]],
    fps: float,
    *,
    on_step: Callable[[int, dict[str, Any], dict[str, Any]], None] | None = None,
    stats: LoopStats | None = None,
) -> LoopStats:
    """Send each recorded action at ``fps`` (Hz) through ``robot.send_action`` (so its clamps
    apply); ``on_step(index, action, sent)`` after each."""
    stats = stats or LoopStats()
    ticker = Ticker(fps)
    try:
        for index, action in enumerate(actions):
            t0 = time.perf_counter()
            sent = robot.send_action(action)
            if on_step is not None:
                on_step(index, action, sent)
            work = time.perf_counter() - t0
            ticker.wait()
            stats.add(time.perf_counter() - t0, work)
    finally:
        stats.stop()
    return stats
