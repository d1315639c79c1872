"""A fake ``perf_counter`` / ``precise_sleep`` so loop schedules are checked exactly, never
against the wall clock (a loaded machine must not fail a test)."""

from __future__ import annotations

import pytest

from lr_robots.control import timing


class FakeClock:
    """Time moves only when the code under test sleeps (or a test advances ``now``)."""

    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def perf_counter(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 9))
        self.now += max(0.0, seconds)


@pytest.fixture
def clock(monkeypatch):
    """The fake clock, in place of ``time.perf_counter`` and ``timing.precise_sleep``."""
    fake = FakeClock()
    monkeypatch.setattr(timing.time, "perf_counter", fake.perf_counter)
    monkeypatch.setattr(timing, "precise_sleep", fake.sleep)
    return fake
