"""StreamingLeRobotDataset: a LeRobot v3.0 dataset read as a stream, from disk or a URL.

::

    ds = StreamingLeRobotDataset("user/pick", root="https://example.org/datasets/pick",
                                 delta_timestamps={"action": [i / 30 for i in range(30)]},
                                 episode_pool_size=16, seed=0)
    for item in ds: ...        # one epoch, every frame exactly once, in random order

Each consumer (rank x DataLoader worker) owns a share of the episodes and keeps
``episode_pool_size`` of them resident - their rows in RAM, their video bytes in a local cache
when the source is remote - emitting frames at random across the pool (:mod:`.order`). Samples
are those of the map-style :class:`~lr_dataset.dataset.LeRobotDataset` for the same frame,
delta windows and padding included. The order is a pure function of ``(seed, epoch, rank,
worker)``, so a run resumes exactly (:mod:`.stream`). This class returns numpy arrays; ``from
lr_dataset import StreamingLeRobotDataset`` gives the torch ``IterableDataset`` when torch is
installed.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from lr_core.errors import ConfigError
from lr_core.features import FeatureSpec
from lr_core.paths import lerobot_home
from lr_dataset.errors import DatasetFormatError
from lr_dataset.metadata import LeRobotDatasetMetadata
from lr_dataset.reader import check_delta_timestamps
from lr_dataset.streaming.cache import CacheStats, RangeCache
from lr_dataset.streaming.consumer import consume, consumer_dir
from lr_dataset.streaming.episode import ItemBuilder, StreamDecoder
from lr_dataset.streaming.order import EpisodePool, assign_shares, consumer_seed
from lr_dataset.streaming.prefetch import EpisodeFiles, Prefetcher
from lr_dataset.streaming.source import (
    LocalFiles,
    RemoteFiles,
    fetch_metadata,
    metadata_cache,
    resolve_location,
)
from lr_dataset.streaming.stream import StreamBase

logger = logging.getLogger(__name__)

#: episodes loaded ahead of admission, when the cache has room
DEFAULT_PREFETCH_EPISODES = 2


def open_metadata(
    repo_id: str,
    root: str | Path | None = None,
    revision: str | None = None,
    *,
    cache_dir: str | Path | None = None,
    repo_type: str = "dataset",
    files: RemoteFiles | None = None,
) -> LeRobotDatasetMetadata:
    """The metadata of the dataset a stream reads: a local folder's, or a URL's ``meta/``
    files copied into ``<cache_dir>/meta/<hash of the URL>`` (nothing else is fetched)."""
    location = resolve_location(repo_id, root, revision, repo_type)
    if isinstance(location, Path):
        return LeRobotDatasetMetadata(repo_id, root=location, revision=revision)
    files = files or RemoteFiles(location)
    folder = fetch_metadata(files, metadata_cache(location, _cache_root(cache_dir)))
    return LeRobotDatasetMetadata(repo_id, root=folder, revision=revision)


def _cache_root(cache_dir: str | Path | None) -> Path:
    return Path(cache_dir).expanduser() if cache_dir else lerobot_home() / "stream-cache"


class StreamingLeRobotDataset(StreamBase):
    """A LeRobot v3.0 dataset as a stream of samples (see the module docstring).

    Args:
        repo_id: the dataset's id (``user/name``).
        root: a local folder, or a URL: ``http(s)://`` (range requests), ``hf://datasets/...``,
            ``s3://`` or any fsspec URL. ``None``: ``$HF_LEROBOT_HOME/<repo_id>`` when it
            exists, else the Hub.
        episodes: episode indices to stream (all when ``None``).
        image_transforms: applied to each camera frame (not depth) of every sample.
        delta_timestamps: ``{key: [seconds...]}`` windows, as the map-style dataset.
        tolerance_s: how far a decoded video frame may be from its timestamp.
        revision: the Hub revision (``v3.0`` when ``None``).
        seed: the order's seed (with the epoch, rank and worker it fixes the order).
        shuffle: random order; ``False`` gives each consumer its episodes and frames in order.
        return_uint8: camera frames as uint8 ``(C, H, W)`` instead of float32 in [0, 1].
        episode_pool_size: episodes each consumer keeps resident. Larger: more random order,
            more RAM (rows) and cache (video bytes). See ``docs/dataset.md``.
        repeat: iterate epoch after epoch without end (each consumer moves to the next epoch's
            share when its share is done) - what a trainer counting steps wants.
        rank, world_size: this process's place among the processes sharing the stream
            (``torch.distributed``, else ``RANK``/``WORLD_SIZE``, else 0 of 1, when ``None``).
        cache_dir: where remote bytes are cached (``$HF_LEROBOT_HOME/stream-cache``).
        cache_budget_gb: disk one rank's stream may use for cached bytes, split evenly among
            its DataLoader workers.
        prefetch_episodes: episodes loaded ahead of admission (within the budget).
        fetch_workers: threads loading episodes, per consumer (4 for a URL, 1 for a folder when
            ``None``).
        fetch_retries, fetch_backoff_s, timeout_s: a failing read is retried ``fetch_retries``
            times, waiting ``fetch_backoff_s`` doubled each time; every request times out after
            ``timeout_s``. Then :class:`~lr_dataset.errors.DatasetFetchError`.
        drop_n_first_frames, drop_n_last_frames: frames at each episode's start/end that are
            never emitted as samples (they still appear in other samples' windows).
        headers: extra HTTP headers (``Authorization``...); storage_options: fsspec options.
        token: Hub token for ``hf://`` (an fsspec storage option).
        repo_type: ``"dataset"`` or ``"bucket"`` (``hf://buckets/<repo_id>``).
        force_cache_sync, streaming, buffer_size, max_num_shards, depth_output_unit: LeRobot
            0.6.1 arguments, accepted so ported code runs; they have no effect here (the pool
            replaces the frame buffer and shards). ``rng`` must be ``None``: the order derives
            from ``seed``.
    """

    def __init__(
        self,
        repo_id: str,
        root: str | Path | None = None,
        episodes: Sequence[int] | None = None,
        image_transforms: Callable[[Any], Any] | None = None,
        delta_timestamps: Mapping[str, Sequence[float]] | None = None,
        tolerance_s: float = 1e-4,
        revision: str | None = None,
        force_cache_sync: bool = False,
        streaming: bool = True,
        buffer_size: int = 1000,
        max_num_shards: int | None = None,
        seed: int = 42,
        rng: Any = None,
        shuffle: bool = True,
        return_uint8: bool = False,
        depth_output_unit: str = "mm",
        *,
        episode_pool_size: int = 16,
        repeat: bool = False,
        rank: int | None = None,
        world_size: int | None = None,
        cache_dir: str | Path | None = None,
        cache_budget_gb: float = 8.0,
        prefetch_episodes: int = DEFAULT_PREFETCH_EPISODES,
        fetch_workers: int | None = None,
        fetch_retries: int = 4,
        fetch_backoff_s: float = 0.5,
        timeout_s: float = 30.0,
        drop_n_first_frames: int = 0,
        drop_n_last_frames: int = 0,
        headers: Mapping[str, str] | None = None,
        storage_options: Mapping[str, Any] | None = None,
        token: str | bool | None = None,
        repo_type: str = "dataset",
    ) -> None:
        if rng is not None:
            raise ConfigError(
                "StreamingLeRobotDataset(rng=...) is not supported: the order is a pure function "
                "of seed, epoch, rank and worker; pass seed= instead"
            )
        if image_transforms is not None and not callable(image_transforms):
            raise TypeError("image_transforms must be callable or None")
        if episode_pool_size < 1:
            raise ConfigError(f"episode_pool_size must be >= 1, got {episode_pool_size}")
        if seed < 0:
            raise ConfigError(f"seed must be >= 0, got {seed}")
        if drop_n_first_frames < 0 or drop_n_last_frames < 0:
            raise ConfigError("drop_n_first_frames and drop_n_last_frames must be >= 0")
        if cache_budget_gb <= 0 or prefetch_episodes < 0 or (fetch_workers or 1) < 1:
            raise ConfigError("cache_budget_gb > 0, prefetch_episodes >= 0, fetch_workers >= 1")
        del force_cache_sync, streaming, buffer_size, max_num_shards, depth_output_unit
        self.repo_id = repo_id
        self.revision = revision
        self.location = resolve_location(repo_id, root, revision, repo_type)
        self.cache_root = _cache_root(cache_dir)
        if isinstance(self.location, Path):
            self.files: LocalFiles | RemoteFiles = LocalFiles(self.location)
        else:
            options = dict(storage_options or {})
            if token is not None:
                options.setdefault("token", token)
            self.files = RemoteFiles(
                self.location,
                retries=fetch_retries,
                backoff_s=fetch_backoff_s,
                timeout_s=timeout_s,
                headers=headers,
                storage_options=options,
            )
        self.meta = open_metadata(
            repo_id,
            root,
            revision,
            cache_dir=cache_dir,
            repo_type=repo_type,
            files=self.files if isinstance(self.files, RemoteFiles) else None,
        )
        self.root = self.meta.root if isinstance(self.location, Path) else self.location
        if self.meta.episodes is None or self.meta.total_episodes == 0:
            raise DatasetFormatError(f"{self.location}: the dataset has no saved episodes")
        n_eps = len(self.meta.episodes)
        if episodes is None:
            selected = np.arange(n_eps, dtype=np.int64)
        else:
            selected = np.asarray(sorted({int(e) for e in episodes}), dtype=np.int64)
            bad = [int(e) for e in selected if not 0 <= e < n_eps]
            if bad:
                raise IndexError(f"episodes {bad} do not exist (the dataset has {n_eps})")
        self.episodes = None if episodes is None else selected.tolist()
        self._selected = selected
        self.locations = EpisodeFiles.from_meta(self.meta)
        lengths = (self.locations.to_index - self.locations.from_index)[selected]
        self._lengths = lengths
        self._counts = np.maximum(lengths - drop_n_first_frames - drop_n_last_frames, 0)
        self.drop_n_first_frames = drop_n_first_frames
        self.drop_n_last_frames = drop_n_last_frames
        self.image_transforms = image_transforms
        self.delta_timestamps = dict(delta_timestamps) if delta_timestamps else None
        self.tolerance_s = tolerance_s
        self.delta_indices = (
            check_delta_timestamps(
                self.delta_timestamps, self.meta.fps, tolerance_s, self.meta.features
            )
            if self.delta_timestamps
            else None
        )
        self.return_uint8 = return_uint8
        self.seed = int(seed)
        self.shuffle = bool(shuffle)
        self.repeat = bool(repeat)
        self.episode_pool_size = int(episode_pool_size)
        self.cache_budget_gb = float(cache_budget_gb)
        self.prefetch_episodes = int(prefetch_episodes)
        # a remote read mostly waits on the network; a local one is CPU work that would only
        # compete with the consumer thread for the GIL
        self.fetch_workers = int(fetch_workers or (4 if isinstance(self.files, RemoteFiles) else 1))
        self._epoch = 0
        self._rank, self._world_size = rank, world_size
        if (rank is None) != (world_size is None):
            raise ConfigError("give both rank and world_size, or neither")
        if rank is not None and world_size is not None:
            self.set_distributed(rank, world_size)
        self._shares: dict[tuple[int, int], list[np.ndarray]] = {}
        self._caches: dict[tuple[int, int], RangeCache] = {}
        self._final_stats: dict[tuple[int, int], CacheStats] = {}

    def __getstate__(self) -> dict[str, Any]:
        # a DataLoader started with "spawn" pickles the dataset: live caches stay here
        state = dict(self.__dict__)
        state["_caches"] = {}
        return state

    # ------------------------------------------------------------------ views
    @property
    def fps(self) -> int:
        """Frames per second."""
        return self.meta.fps

    @property
    def features(self) -> dict[str, FeatureSpec]:
        """All features."""
        return self.meta.features

    @property
    def num_frames(self) -> int:
        """Frames in the streamed episodes."""
        return int(self._lengths.sum())

    @property
    def num_episodes(self) -> int:
        """Episodes streamed."""
        return len(self._selected)

    @property
    def num_samples(self) -> int:
        """Samples per epoch, over all ranks (frames less the dropped edges)."""
        return int(self._counts.sum())

    def cache_stats(self) -> dict[tuple[int, int], CacheStats]:
        """Cache use of the consumers ``(rank, worker)`` that iterate in this process: live
        while they run, final once they have ended (remote sources only). Each consumer also
        logs its figures at the end of its iteration."""
        return {**self._final_stats, **{k: c.stats() for k, c in self._caches.items()}}

    def set_return_uint8(self, flag: bool) -> None:
        """Camera frames as uint8 (``True``) or float32 in [0, 1] from the next iteration."""
        self.return_uint8 = bool(flag)

    def describe(self) -> str:
        """A short name for messages."""
        return f"StreamingLeRobotDataset({self.repo_id!r})"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(repo_id={self.repo_id!r}, root='{self.root}', "
            f"episodes={self.num_episodes}, frames={self.num_frames}, fps={self.fps}, "
            f"episode_pool_size={self.episode_pool_size}, seed={self.seed})"
        )

    # ------------------------------------------------------------------ order
    def shares(self, epoch: int, num_consumers: int) -> list[np.ndarray]:
        """Each consumer's episodes (indices) in ``epoch``, in admission order."""
        key = (epoch, num_consumers)
        shares = self._shares.get(key)
        if shares is None:
            positions = assign_shares(
                self._counts, num_consumers, seed=self.seed, epoch=epoch, shuffle=self.shuffle
            )
            shares = [self._selected[p] for p in positions]
            if len(self._shares) >= 4:
                self._shares.pop(next(iter(self._shares)))
            self._shares[key] = shares
        return shares

    def share_size(self, epoch: int, consumer: int, num_consumers: int) -> int:
        """Samples consumer ``consumer`` of ``num_consumers`` gets in ``epoch``."""
        share = self.shares(epoch, num_consumers)[consumer]
        return int(self._anchor_counts(share).sum())

    def _anchor_counts(self, episodes: np.ndarray) -> np.ndarray:
        lengths = self.locations.to_index[episodes] - self.locations.from_index[episodes]
        return np.maximum(lengths - self.drop_n_first_frames - self.drop_n_last_frames, 0)

    def fingerprint(self) -> dict[str, Any]:
        """What the order depends on besides epoch and position."""
        digest = hashlib.sha256()
        digest.update(self._selected.tobytes())
        digest.update(self._lengths.tobytes())
        return {
            "seed": self.seed,
            "shuffle": self.shuffle,
            "episode_pool_size": self.episode_pool_size,
            "drop_n_first_frames": self.drop_n_first_frames,
            "drop_n_last_frames": self.drop_n_last_frames,
            "episodes_digest": digest.hexdigest()[:16],
        }

    def pool(
        self, epoch: int, rank: int, worker: int, num_workers: int, world_size: int
    ) -> EpisodePool:
        """The emission schedule of one consumer in one epoch (nothing is read)."""
        share = self.shares(epoch, world_size * num_workers)[rank * num_workers + worker]
        return EpisodePool(
            share,
            self._anchor_counts(share),
            self.episode_pool_size,
            consumer_seed(self.seed, epoch, rank, worker),
            shuffle=self.shuffle,
            first=[self.drop_n_first_frames] * len(share),
        )

    # ------------------------------------------------------------------ iteration
    def _new_prefetcher(self, rank: int, worker: int, num_workers: int) -> Prefetcher:
        cache = None
        files = self.files
        if isinstance(files, RemoteFiles):
            files = files.clone()  # closed with this consumer, not with the others
            cache = RangeCache(
                consumer_dir(self.cache_root, self.location, rank, worker),
                int(self.cache_budget_gb * 1e9 / num_workers),
                files.read,
                files.size,
            )
        prefetcher = Prefetcher(
            self.meta,
            self.locations,
            files,
            cache,
            workers=self.fetch_workers,
            tolerance_s=self.tolerance_s,
        )
        if cache is not None:
            cache.make_room = prefetcher.make_room
        return prefetcher

    def finish_item(self, item: dict[str, Any]) -> Any:
        """Last touches on a sample (the torch flavour converts to tensors)."""
        if self.image_transforms is not None:
            for key in self.meta.camera_keys:
                if key not in self.meta.depth_keys:
                    item[key] = self.image_transforms(item[key])
        return item

    def consumer_items(
        self,
        epoch: int,
        rank: int,
        worker: int,
        num_workers: int,
        world_size: int,
        skip: int,
        *,
        repeat: bool | None = None,
    ) -> Iterator[dict[str, Any]]:
        """One consumer's samples from ``epoch`` on, after passing over ``skip`` (``repeat``
        overrides the dataset's own setting, for mixtures)."""
        repeat = self.repeat if repeat is None else repeat
        consumers = world_size * num_workers
        consumer = rank * num_workers + worker
        # whole epochs of a repeated stream are passed over without building their pools
        while repeat and skip > 0:
            size = self.share_size(epoch, consumer, consumers)
            if size == 0 or skip < size:
                break
            skip -= size
            epoch += 1
        if self.share_size(epoch, consumer, consumers) == 0:
            return
        pools = self._pools(epoch, rank, worker, num_workers, world_size, skip, repeat)
        prefetcher = self._new_prefetcher(rank, worker, num_workers)
        decoder = StreamDecoder(
            max_open=max(16, len(self.meta.video_keys) * min(self.episode_pool_size, 64))
        )
        builder = ItemBuilder(
            self.meta,
            self.delta_indices,
            tolerance_s=self.tolerance_s,
            return_uint8=self.return_uint8,
            decoder=decoder,
            image_root=self.location if isinstance(self.location, Path) else None,
        )
        if prefetcher.cache is not None:
            self._caches[(rank, worker)] = prefetcher.cache
        try:
            for item in consume(pools, prefetcher, builder, self.prefetch_episodes):
                yield self.finish_item(item)
        finally:
            stats = prefetcher.cache.stats() if prefetcher.cache is not None else None
            decoder.close()
            prefetcher.close()
            if stats is not None:
                self._caches.pop((rank, worker), None)
                self._final_stats[(rank, worker)] = stats
                logger.info(
                    "%s rank %d worker %d: %d episodes loaded, %.1f MB fetched, cache peak "
                    "%.1f of %.1f MB",
                    self.describe(),
                    rank,
                    worker,
                    prefetcher.loaded,
                    stats.fetched_bytes / 1e6,
                    stats.peak_bytes / 1e6,
                    stats.budget_bytes / 1e6,
                )

    def _pools(
        self,
        epoch: int,
        rank: int,
        worker: int,
        num_workers: int,
        world_size: int,
        skip: int,
        repeat: bool,
    ) -> Iterator[EpisodePool]:
        """The consumer's pool for each epoch in turn, the first advanced by ``skip``."""
        consumer = rank * num_workers + worker
        while True:
            pool = self.pool(epoch, rank, worker, num_workers, world_size)
            pool.skip(skip)
            skip = 0
            yield pool
            epoch += 1
            if not repeat or self.share_size(epoch, consumer, world_size * num_workers) == 0:
                return
