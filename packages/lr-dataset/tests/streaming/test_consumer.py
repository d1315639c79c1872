"""When a consumer loads its episodes: the first sample waits for its own episode only, every
episode is loaded once, no later than its first sample, at most the look-ahead window before
it and with no more episodes loaded ahead than fetch threads; loading never changes the samples
or their order (counted, never timed)."""

from __future__ import annotations

import pytest

from lr_dataset.streaming import consumer
from lr_dataset.streaming.dataset import StreamingLeRobotDataset as NumpyStream
from lr_dataset.streaming.loopback import LoopbackServer
from lr_dataset.streaming.prefetch import Prefetcher
from lr_dataset.testing import LENGTHS, WINDOWS, indices


@pytest.fixture
def submissions(monkeypatch):
    """Every load the prefetcher starts: ``[(episode, required, samples taken so far)]``;
    the test sets ``taken[0]`` as it takes samples."""
    log: list[tuple[int, bool, int]] = []
    taken = [0]
    submit = Prefetcher._submit

    def recording(self, ep, *, required):
        log.append((ep, required, taken[0]))
        return submit(self, ep, required=required)

    monkeypatch.setattr(Prefetcher, "_submit", recording)
    return log, taken


def _first_needs(items, episode_of) -> dict[int, int]:
    """The 0-based position of each episode's first sample."""
    first: dict[int, int] = {}
    for k, item in enumerate(items):
        first.setdefault(episode_of[int(item["index"])], k)
    return first


def _episode_of(ds) -> dict[int, int]:
    starts, stops = ds.locations.from_index, ds.locations.to_index
    return {i: ep for ep in range(len(starts)) for i in range(int(starts[ep]), int(stops[ep]))}


def test_the_first_sample_is_served_before_the_pool_is_loaded(rollover, submissions):
    log, _ = submissions
    pool = len(LENGTHS)  # the whole dataset resident in one pool
    ds = NumpyStream("t/x", root=rollover, delta_timestamps=WINDOWS, episode_pool_size=pool)
    it = iter(ds)
    first = next(it)
    loads = [ep for ep, _, _ in log]
    # its own episode, and the next one the stream needs (loading while the first decodes)
    assert loads[0] == int(first["episode_index"]) and len(loads) <= 2 < pool
    rest = list(it)
    loads = [ep for ep, _, _ in log]
    assert sorted(loads) == list(range(pool))  # each episode loaded once in the epoch
    assert sorted(indices([first, *rest])) == list(range(sum(LENGTHS)))


@pytest.mark.parametrize("pool", [1, 3, 9])
@pytest.mark.parametrize("fetch_workers", [1, 3])
def test_episodes_load_within_the_window_before_their_first_sample(
    rollover, submissions, monkeypatch, pool, fetch_workers
):
    log, taken = submissions
    window = 5
    monkeypatch.setattr(consumer, "load_ahead_window", lambda pool_size: window)
    ds = NumpyStream("t/x", root=rollover, episode_pool_size=pool, seed=7, prefetch_episodes=0)
    items = []
    for item in ds:
        items.append(item)
        taken[0] = len(items)
    first_need = _first_needs(items, _episode_of(ds))
    assert sorted(ep for ep, _, _ in log) == sorted(first_need)  # each loaded once
    for k, (ep, _, at) in enumerate(log):
        # sample number ``at`` (0-based) was being built: the copy ahead stood at most
        # ``window`` samples further
        assert first_need[ep] >= at, f"episode {ep} loaded after its first sample"
        assert first_need[ep] <= at + window, f"episode {ep} loaded too early"
        ahead = [e for e, _, _ in log[: k + 1] if first_need[e] > at]
        assert len(ahead) <= fetch_workers, f"{ahead} loaded ahead at sample {at}"


def test_loading_ahead_does_not_change_the_order(rollover, monkeypatch):
    def stream():
        return NumpyStream("t/x", root=rollover, episode_pool_size=4, seed=3)

    reference = indices(stream())
    for window in (0, 1, 1000):
        monkeypatch.setattr(consumer, "load_ahead_window", lambda pool_size, w=window: w)
        assert indices(stream()) == reference


def test_look_ahead_loads_of_a_remote_stream_become_required_on_admission(
    rollover, home, submissions, monkeypatch
):
    """Over HTTP an episode the copy ahead reaches before the pool admits it is fetched as a
    look-ahead load (it may give its cache room back) and made required when admitted."""
    log, taken = submissions
    admitted: list[tuple[int, int]] = []
    admit = Prefetcher.admit

    def recording(self, ep):
        admitted.append((ep, len(log)))
        return admit(self, ep)

    monkeypatch.setattr(Prefetcher, "admit", recording)
    with LoopbackServer(rollover.parent) as server:
        ds = NumpyStream(
            "t/x",
            root=f"{server.url}/{rollover.name}",
            episode_pool_size=1,
            prefetch_episodes=0,
        )
        items = []
        for item in ds:
            items.append(item)
            taken[0] = len(items)
        stats = ds.cache_stats()
    assert sorted(indices(items)) == list(range(sum(LENGTHS)))
    first_need = _first_needs(items, _episode_of(ds))
    ahead = [(k, ep) for k, (ep, required, _) in enumerate(log) if not required]
    assert ahead  # episodes shorter than the window were reached before their admission
    for k, ep in ahead:  # then admitted (made required) once the pool took them in
        assert any(a == ep and loads_then > k for a, loads_then in admitted), ep
    # each was fetched before the pool admitted it, and no episode was fetched twice
    assert sorted(ep for ep, _, _ in log) == sorted(first_need)
    assert all(s.used_bytes == 0 for s in stats.values())  # the cache is empty after the epoch


def test_a_resumed_stream_loads_only_what_is_left_within_the_window(
    rollover, submissions, monkeypatch
):
    """After a resume the pool starts part-way through its schedule: the copy ahead starts
    there too (episodes already drained are never loaded, the rest once each, in time)."""
    log, taken = submissions
    window = 5
    monkeypatch.setattr(consumer, "load_ahead_window", lambda pool_size: window)

    def stream():
        return NumpyStream("t/x", root=rollover, episode_pool_size=3, seed=5, prefetch_episodes=0)

    full = indices(stream())
    resumed = stream()
    resumed.load_state_dict(stream().state_dict(batches_consumed=9, batch_size=8))
    log.clear()
    items = []
    for item in resumed:
        items.append(item)
        taken[0] = len(items)
    assert indices(items) == full[72:]
    first_need = _first_needs(items, _episode_of(resumed))
    assert sorted(ep for ep, _, _ in log) == sorted(first_need)  # each left once, no other
    for ep, _, at in log:
        assert at <= first_need[ep] <= at + window, (ep, at, first_need[ep])
    # loaded ahead of the stream, not each only when a sample already waits for it
    assert any(first_need[ep] > at for ep, _, at in log)
