"""Clock offset (NTP's on-wire method) and the per-request timing split."""

from __future__ import annotations

import pytest

from lr_core.messages import TimingStamps
from lr_inference.clock import ClockSync, RequestTiming, TimingStats


def exchange(sync: ClockSync, *, t0: float, up: float, server: float, down: float, offset: float):
    t1 = t0 + up + offset
    t2 = t1 + server
    t3 = t0 + up + server + down
    sync.add(t0, t1, t2, t3)


def test_symmetric_delays_give_the_exact_offset():
    sync = ClockSync()
    exchange(sync, t0=100.0, up=0.002, server=0.05, down=0.002, offset=-3.5)
    assert sync.offset == pytest.approx(-3.5)
    assert sync.delay == pytest.approx(0.004)


def test_the_least_delayed_exchange_wins():
    sync = ClockSync()
    exchange(sync, t0=0.0, up=0.030, server=0.01, down=0.001, offset=2.0)  # asymmetric: off
    exchange(sync, t0=1.0, up=0.001, server=0.01, down=0.001, offset=2.0)  # best
    exchange(sync, t0=2.0, up=0.001, server=0.01, down=0.020, offset=2.0)
    assert sync.offset == pytest.approx(2.0)
    assert sync.samples == 3


def test_request_timing_splits_a_trip_across_two_clocks():
    offset = 10.0  # server = client + 10 s
    stamps = TimingStamps(
        observation_captured=0.990,
        client_sent=1.000,
        server_received=11.002,
        preprocess_started=11.003,
        inference_started=11.004,
        inference_finished=11.054,
        postprocess_finished=11.055,
        server_sent=11.056,
        client_received=1.059,
    )
    t = RequestTiming.from_stamps(stamps, offset)
    assert t.network_up == pytest.approx(0.002)
    assert t.queue == pytest.approx(0.001)
    assert t.preprocess == pytest.approx(0.001)
    assert t.inference == pytest.approx(0.050)
    assert t.postprocess == pytest.approx(0.001)
    assert t.network_down == pytest.approx(0.003)
    assert t.round_trip == pytest.approx(0.059)
    assert t.observation_age == pytest.approx(0.069)
    stats = TimingStats()
    stats.add(t)
    assert stats.summary()["inference"]["median_ms"] == pytest.approx(50.0)
    assert "inference 50.00/50.00" in stats.format()


def test_missing_stamps_leave_their_stage_unknown():
    t = RequestTiming.from_stamps(TimingStamps(client_sent=1.0, client_received=1.5), 0.0)
    assert t.round_trip == pytest.approx(0.5) and t.inference is None
