"""One consumer's loop: the pool's schedule drives prefetching, samples are built on demand.

For each step of the pool (:class:`~lr_dataset.streaming.order.EpisodePool`): wait for the
episode (loaded in the background since its admission), build the sample (decoding its video
frames now), release the episode if the pool drained it, admit its successor and load the next
ones ahead. A drained episode leaves before its successor comes in, so no more than
``episode_pool_size`` episodes are held at any time besides the look-ahead loads (which give
their cache room back whenever an admitted episode needs it).
"""

from __future__ import annotations

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


def consume(
    pools: Iterable[EpisodePool],
    prefetcher: Prefetcher,
    builder: ItemBuilder,
    prefetch_episodes: int,
) -> Iterator[dict[str, Any]]:
    """The samples of ``pools`` (one per epoch) in schedule order."""
    opened: dict[str, int] = {}
    decoder = builder.decoder
    for pool in pools:
        # load the resident episodes in the order the first samples need them
        soon = pool.preview(2 * pool.pool_size)
        for ep in soon + [e for e in pool.resident if e not in soon]:
            prefetcher.admit(ep)
        prefetcher.lookahead(pool.upcoming(prefetch_episodes))
        while (step := pool.next()) is not None:
            ep, offset = step
            data = prefetcher.get(ep)
            if prefetcher.cache is not None and isinstance(decoder, StreamDecoder):
                refresh_decoder(decoder, prefetcher.cache, data.videos.values(), opened)
            item = builder.build(data, offset)
            for evicted in pool.evicted:
                prefetcher.release(evicted)
            for admitted in pool.admitted:
                prefetcher.admit(admitted)
            if pool.admitted:
                prefetcher.lookahead(pool.upcoming(prefetch_episodes))
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
