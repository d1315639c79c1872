"""The control loops behind ``lr teleoperate`` and ``lr replay`` (and, next, ``lr record``).

Each loop runs at ``fps`` on a :class:`~lr_robots.control.timing.Ticker` grid, records every
iteration in :class:`~lr_robots.control.timing.LoopStats`, and leaves connecting, signals and
the safe shutdown to its caller (see :mod:`lr_robots.control.session`). An exception, Ctrl-C or
SIGTERM (:class:`~lr_robots.control.safety.Stopped`) ends the loop where it is.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, wait
from typing import Any

from lr_core.robot import Robot
from lr_core.teleoperator import Teleoperator
from lr_robots.control.timing import LoopStats, Ticker

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
    the observation and the action (:class:`lr_robots.visualization.RerunDisplay`). With
    ``parallel_reads``, a teleoperator that does not use the observation (a leader arm) is read
    in a worker thread while the robot is read: two serial ports, so the two round trips
    overlap instead of adding up. One that does (a keyboard jogging joints) is read after.
    """
    stats = stats or LoopStats()
    ticker = Ticker(fps)
    observes = type(teleop).observe is not Teleoperator.observe
    pool = (
        ThreadPoolExecutor(1, thread_name_prefix="teleop-read")
        if parallel_reads and not observes
        else None
    )
    start = time.perf_counter()
    try:
        while True:
            t0 = time.perf_counter()
            if pool is not None:
                pending = pool.submit(teleop.get_action)
                try:
                    observation = robot.get_observation()
                except BaseException:
                    wait([pending])  # never leave a transaction running on the leader's bus
                    raise
                action = pending.result()
            else:
                observation = robot.get_observation()
                teleop.observe(observation)
                action = teleop.get_action()
            sent = robot.send_action(action)
            if on_step is not None:
                on_step(observation, action, sent)
            if display is not None:
                display(observation, action)
            work = time.perf_counter() - t0
            ticker.wait()
            stats.add(time.perf_counter() - t0, work)
            if duration is not None and time.perf_counter() - start >= duration:
                break
    finally:
        if pool is not None:
            pool.shutdown(wait=True)
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
