"""The ticker's schedule and the loop statistics, on a fake clock (``clock``, conftest.py; no
timing thresholds)."""

from __future__ import annotations

import pytest

from lr_robots.control import timing


def test_a_late_iteration_gets_a_shorter_sleep_so_the_rate_holds(clock):
    ticker = timing.Ticker(fps=100)  # 10 ms grid
    clock.now += 0.002  # 2 ms of work
    ticker.wait()
    assert clock.slept == [0.008]
    clock.now += 0.013  # 13 ms of work: 3 ms past the 20 ms tick, no sleep
    ticker.wait()
    assert clock.slept[-1] <= 0
    clock.now += 0.002  # the next iteration sleeps 5 ms, not 8: back on the grid at 30 ms
    ticker.wait()
    assert clock.slept[-1] == pytest.approx(0.005)
    assert clock.now == pytest.approx(100.030)


def test_a_stall_longer_than_a_period_starts_a_new_grid_instead_of_bursting(clock):
    ticker = timing.Ticker(fps=100)
    clock.now += 0.050  # stalled for 5 periods
    ticker.wait()
    assert clock.slept == []  # no sleep, and no catch-up burst after it:
    clock.now += 0.001
    ticker.wait()
    assert clock.slept == [pytest.approx(0.009)]


def test_loop_stats_summary():
    stats = timing.LoopStats(started=0.0)
    for k in range(100):
        stats.add(0.005 + (0.010 if k == 99 else 0.0), 0.001)
    stats.ended = 0.51
    assert stats.count == 100
    assert stats.achieved_hz == pytest.approx(100 / 0.51)
    assert stats.percentile_ms(50) == pytest.approx(5.0)
    assert stats.percentile_ms(99) == pytest.approx(5.0)
    assert stats.percentile_ms(100) == pytest.approx(15.0)
    assert stats.percentile_ms(50, work=True) == pytest.approx(1.0)
    assert "100 loops in 0.5 s: 196.1 Hz achieved" in stats.summary()


def test_phase_statistics():
    stats = timing.LoopStats(started=0.0)
    assert stats.phase_summary() == ""  # a loop that does not time phases
    assert stats.percentile_ms(99, phase="send") == 0.0
    for k in range(100):
        stats.add(0.005, 0.002)
        stats.add_phases(0.001 * (k + 1), 0.0005, 0.0002)
    assert stats.percentile_ms(50, phase="observation") == pytest.approx(50.0)
    assert stats.percentile_ms(99, phase="observation") == pytest.approx(99.0)
    assert stats.phase_summary() == (
        "; p50/p99 ms: observation 50.00/99.00, action 0.50/0.50, send 0.20/0.20"
    )
    assert stats.summary().endswith(stats.phase_summary())
    with pytest.raises(KeyError):
        stats.percentile_ms(50, phase="nope")


def test_frozen_gc_moves_the_live_objects_out_of_reach_and_back():
    import gc

    assert gc.get_freeze_count() == 0
    with timing.frozen_gc():
        frozen = gc.get_freeze_count()
        assert frozen > 0
        cycle: list[object] = []
        cycle.append(cycle)  # garbage made inside is still collected
        del cycle
        assert gc.collect() >= 1
        with timing.frozen_gc():  # nested: leaves the outer freeze alone
            assert gc.get_freeze_count() == frozen
        assert gc.get_freeze_count() == frozen
    assert gc.get_freeze_count() == 0
    gc.disable()
    try:
        with timing.frozen_gc():  # a caller that turned the collector off keeps it so
            assert gc.get_freeze_count() == 0
    finally:
        gc.enable()
