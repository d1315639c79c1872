"""One consumer's loop: the pool's schedule drives loading, samples are built on demand.

The pool (:class:`~lr_dataset.streaming.order.EpisodePool`) decides which episodes are resident
and the order of the samples; :class:`LoadAhead` decides *when* each episode is loaded. A copy
of the pool runs ahead of it through the same (pure) schedule and starts an episode's load when
it first draws from it: never after the stream needs the episode, at most ``window`` samples
before (``max(32, 2 x episode_pool_size)``), and with no more episodes loaded ahead of the
stream - reached by the copy, not yet drawn by the stream - than the prefetcher has threads
(1 for a local folder, 4 for a URL). So the first sample waits for its own episode only, the
next episode loads while it decodes, and the fetch threads always have the next episodes the
stream will need; before, a consumer queued every resident episode (and ``prefetch_episodes``
more) before its first sample, and spent that CPU before its first batch. Episodes about to be
admitted are still loaded ahead of admission (:meth:`Prefetcher.lookahead`). For each step:
load what the copy reaches, wait for the episode (usually loaded by then), build the sample
(decoding its video frames now), and release the episode once the pool drained it. Loading
never changes the order: the schedule is the pool's alone.
"""

from __future__ import annotations

import copy
import hashlib
import os
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from lr_dataset.streaming.cache import RangeCache
from lr_dataset.streaming.episode import ItemBuilder, StreamDecoder
from lr_dataset.streaming.order import EpisodePool
from lr_dataset.streaming.prefetch import Prefetcher

#: the fewest samples a consumer looks ahead to start loading the episodes they come from
MIN_LOAD_AHEAD = 32


def load_ahead_window(pool_size: int) -> int:
    """Samples ahead of the stream at which an episode's load starts, for a pool size."""
    return max(MIN_LOAD_AHEAD, 2 * pool_size)


class LoadAhead:
    """Starts loading each episode of ``pool`` when a copy of the pool running ahead of it
    first draws from it (see the module docstring). Call :meth:`advance` after each step of
    ``pool`` with the episode that step drew.

    An episode the copy reaches before ``pool`` admits it is loaded as a look-ahead load (it
    gives its cache room back when an admitted episode needs it) and becomes a required one at
    its admission, so the cache's required episodes stay those of the pool."""

    def __init__(
        self,
        pool: EpisodePool,
        prefetcher: Prefetcher,
        prefetch_episodes: int,
        window: int,
        max_ahead: int,
    ) -> None:
        self.pool = pool
        self.ahead = copy.deepcopy(pool)  # the same draws, taken earlier
        self.prefetcher = prefetcher
        self.prefetch_episodes = prefetch_episodes
        self.window = max(0, int(window))
        self.max_ahead = max(1, int(max_ahead))
        self.steps = pool.emitted  # the stream's position in the pool (a resume skips some)
        self.requested: set[int] = set()  # episodes the copy ahead has reached
        self.undrawn: set[int] = set()  # ... that the stream has not drawn from yet
        self.resident: set[int] = set(pool.resident)  # admitted by the pool, not yet evicted
        self._exhausted = False

    def advance(self, drawn: int) -> None:
        """The pool took one more step, from episode ``drawn``: note its admissions and
        evictions, then move the copy on (at least to the stream's step)."""
        self.steps = self.pool.emitted
        self.undrawn.discard(drawn)
        self.resident.difference_update(self.pool.evicted)
        for ep in self.pool.admitted:
            self.resident.add(ep)
            if ep in self.requested:
                self.prefetcher.admit(ep)  # loaded ahead: now required
        ahead = self.ahead
        while not self._exhausted and (
            ahead.emitted < self.steps
            or (ahead.emitted < self.steps + self.window and len(self.undrawn) < self.max_ahead)
        ):
            step = ahead.next()
            if step is None:
                self._exhausted = True
                break
            ep = step[0]
            if ep not in self.requested:
                self.requested.add(ep)
                if ahead.emitted > self.steps:
                    self.undrawn.add(ep)
                if ep in self.resident:
                    self.prefetcher.admit(ep)
                else:
                    self.prefetcher.lookahead([ep])
            if ahead.admitted and self.prefetch_episodes:
                self.prefetcher.lookahead(ahead.upcoming(self.prefetch_episodes))


def consume(
    pools: Iterable[EpisodePool],
    prefetcher: Prefetcher,
    builder: ItemBuilder,
    prefetch_episodes: int,
    window: int | None = None,
) -> Iterator[dict[str, Any]]:
    """The samples of ``pools`` (one per epoch) in schedule order; episodes load up to
    ``window`` samples ahead (:func:`load_ahead_window` of the pool size when ``None``)."""
    opened: dict[str, int] = {}
    decoder = builder.decoder
    for pool in pools:
        ahead = LoadAhead(
            pool,
            prefetcher,
            prefetch_episodes,
            load_ahead_window(pool.pool_size) if window is None else window,
            prefetcher.workers,
        )
        while (step := pool.next()) is not None:
            ep, offset = step
            ahead.advance(ep)
            data = prefetcher.get(ep)
            if prefetcher.cache is not None and isinstance(decoder, StreamDecoder):
                refresh_decoder(decoder, prefetcher.cache, data.videos.values(), opened)
            item = builder.build(data, offset)
            for evicted in pool.evicted:
                prefetcher.release(evicted)
            yield item


def refresh_decoder(
    decoder: StreamDecoder, cache: RangeCache, videos: Iterable[Any], opened: dict[str, int]
) -> None:
    """Close the files the decoder holds open that the cache has since grown or deleted (their
    open handles may hold stale buffers, or keep deleted bytes on disk)."""
    while cache.deleted_paths:
        path = cache.deleted_paths.pop()
        decoder.release(path)
        opened.pop(str(path), None)
    for path, _ in videos:
        relative = str(Path(path).relative_to(cache.directory))
        generation = cache.generation(relative)
        if opened.get(str(path)) != generation:
            decoder.release(path)
            opened[str(path)] = generation


def consumer_dir(cache_root: Path, location: str | Path, rank: int, worker: int) -> Path:
    """A fresh cache folder for one consumer, ``<cache_root>/data/<hash of the source>/
    pid<pid>-r<rank>w<worker>``; folders left by processes that no longer run are removed."""
    digest = hashlib.sha256(str(location).encode()).hexdigest()[:16]
    base = cache_root / "data" / digest
    if base.is_dir():
        for old in base.iterdir():
            pid = old.name.split("-")[0].removeprefix("pid")
            if pid.isdigit() and not _alive(int(pid)):
                shutil.rmtree(old, ignore_errors=True)
    return base / f"pid{os.getpid()}-r{rank}w{worker}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
