"""Loop timing: a precise sleep, a fixed-rate ticker, loop-time statistics (achieved Hz,
p50/p99, per phase) and a garbage collector kept off the loop's objects.

``time.sleep`` wakes up to about a millisecond late on a loaded Linux machine; at 200 Hz (5 ms
periods) that is a 20 % error. :func:`precise_sleep` sleeps the bulk and spins the last
:data:`SPIN_S` on the clock, so loops keep their period at a small CPU cost.
"""

from __future__ import annotations

import gc
import time
from array import array
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

#: the last part of a sleep spent spinning on ``perf_counter`` (s)
SPIN_S = 0.0004


def precise_sleep(seconds: float) -> None:
    """Sleep ``seconds`` (s) to within a few microseconds (LeRobot's name)."""
    if seconds <= 0:
        return
    end = time.perf_counter() + seconds
    if seconds > SPIN_S:
        time.sleep(seconds - SPIN_S)
    while time.perf_counter() < end:
        pass


class Ticker:
    """Iteration starts on a fixed grid of ``1 / fps`` s.

    Unlike sleeping ``period - work`` after each iteration (LeRobot's loops), which adds every
    late wake-up to the period and so runs slower than asked on a loaded machine, the next start
    stays on the grid: an iteration that starts late gets a shorter sleep. A loop more than one
    period behind (a stall) drops the missed ticks and starts a new grid instead of bursting.
    """

    def __init__(self, fps: float) -> None:
        self.period = 1.0 / fps
        self.next = time.perf_counter()

    def wait(self) -> None:
        """Sleep until the next tick (at once if it has passed)."""
        self.next += self.period
        now = time.perf_counter()
        if now > self.next + self.period:
            self.next = now  # more than a period behind: start a new grid now
            return
        precise_sleep(self.next - now)


@contextmanager
def frozen_gc() -> Iterator[None]:
    """Keep the cyclic garbage collector off the objects alive on entry, until exit.

    A full collection walks every tracked object of the process (modules, pydantic models,
    numpy): 15-20 ms in ``lr teleoperate``, a step's worth of stalls at 200 Hz, and a control
    loop allocates enough to trigger one every few seconds. Inside, garbage is collected once,
    then the survivors are moved to the collector's permanent generation (``gc.freeze``), so
    collections during the loop only walk what the loop allocated; on exit they are handed back
    (``gc.unfreeze``). Nothing is lost: cycles made of frozen objects are collected after.
    When the caller already froze objects (``gc.get_freeze_count() > 0``) this does nothing,
    so their freeze is not undone.
    """
    if gc.get_freeze_count() or not gc.isenabled():
        yield
        return
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


#: the phases of a teleoperation step timed by :meth:`LoopStats.add_phases`
PHASES = ("observation", "action", "send")


@dataclass
class LoopStats:
    """Durations of a loop's iterations (s), summarised as a user reads them."""

    #: each iteration's full duration: work plus the sleep to the next tick
    loop_s: list[float] = field(default_factory=list)
    #: each iteration's work alone (reading, computing, writing)
    work_s: list[float] = field(default_factory=list)
    started: float = field(default_factory=time.perf_counter)
    ended: float | None = None
    #: per phase (:data:`PHASES`), each iteration's time in it (s), when the loop times them
    phase_s: dict[str, array[float]] = field(
        default_factory=lambda: {name: array("d") for name in PHASES}
    )

    def add(self, loop_s: float, work_s: float | None = None) -> None:
        """Record one iteration: its full duration and the part spent working (s)."""
        self.loop_s.append(loop_s)
        self.work_s.append(loop_s if work_s is None else work_s)

    def add_phases(self, observation_s: float, action_s: float, send_s: float) -> None:
        """Record one iteration's phases (s): reading the robot, the rest of reading the
        teleoperator (what its read did not overlap), sending the action."""
        phases = self.phase_s
        phases["observation"].append(observation_s)
        phases["action"].append(action_s)
        phases["send"].append(send_s)

    def stop(self) -> None:
        """Mark the end of the run (for the achieved rate)."""
        self.ended = time.perf_counter()

    @property
    def count(self) -> int:
        """Iterations recorded."""
        return len(self.loop_s)

    @property
    def achieved_hz(self) -> float:
        """Iterations per second over the whole run (0 before the first)."""
        elapsed = (self.ended or time.perf_counter()) - self.started
        return self.count / elapsed if elapsed > 0 and self.count else 0.0

    def percentile_ms(self, q: float, *, work: bool = False, phase: str | None = None) -> float:
        """The ``q``-th percentile (0..100, nearest rank) of the loop time in ms (``work``:
        of the time spent working; ``phase``: of the time spent in that phase, one of
        :data:`PHASES`; 0 when not timed). ``KeyError`` for an unknown phase."""
        values = self.phase_s[phase] if phase is not None else self.work_s if work else self.loop_s
        if not values:
            return 0.0
        ordered = sorted(values)
        rank = min(len(ordered) - 1, max(0, -(-q * len(ordered) // 100) - 1))
        return ordered[int(rank)] * 1e3

    def summary(self) -> str:
        """``"1200 loops in 20.0 s: 60.0 Hz achieved, loop time p50 16.67 ms, p99 17.02 ms,
        max 18.10 ms (work p50 2.10 ms, p99 3.02 ms)"``."""
        elapsed = (self.ended or time.perf_counter()) - self.started
        return (
            f"{self.count} loops in {elapsed:.1f} s: {self.achieved_hz:.1f} Hz achieved, "
            f"loop time p50 {self.percentile_ms(50):.2f} ms, p99 {self.percentile_ms(99):.2f} ms, "
            f"max {self.percentile_ms(100):.2f} ms (work p50 "
            f"{self.percentile_ms(50, work=True):.2f} ms, p99 "
            f"{self.percentile_ms(99, work=True):.2f} ms)" + self.phase_summary()
        )

    def phase_summary(self) -> str:
        """``"; p50/p99 ms: observation 0.21/0.40, action 0.02/0.10, send 0.05/0.09"``, or
        ``""`` when the phases were not timed."""
        timed = [name for name in PHASES if self.phase_s[name]]
        if not timed:
            return ""
        parts = [
            f"{name} {self.percentile_ms(50, phase=name):.2f}/"
            f"{self.percentile_ms(99, phase=name):.2f}"
            for name in timed
        ]
        return "; p50/p99 ms: " + ", ".join(parts)
