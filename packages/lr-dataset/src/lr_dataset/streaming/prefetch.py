"""Loading episodes in the background, when the consumer asks: :meth:`Prefetcher.admit` for an
episode of the pool (a *required* load), :meth:`Prefetcher.lookahead` for one the pool has not
admitted yet (it gives its cache room back when a required one needs it). The consumer asks
just before the stream needs an episode (:class:`~lr_dataset.streaming.consumer.LoadAhead`).

Loading an episode reads its rows (only the row groups that hold them) into RAM and, for a
remote source, fetches into the :class:`~lr_dataset.streaming.cache.RangeCache` the byte ranges
of each camera's MP4 that its frames need. The parquet ranges are released as soon as the rows
are in RAM; the video ranges are held (reference-counted with the other episodes of the same
file) until the episode is evicted. Episodes about to be admitted are loaded ahead when the cache
has room (:meth:`Prefetcher.lookahead`), so admission rarely waits.

One :class:`Prefetcher` per consumer; ``fetch_workers`` threads.
"""

from __future__ import annotations

import itertools
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lr_dataset.metadata import LeRobotDatasetMetadata
from lr_dataset.streaming.cache import NoRoom, Range, RangeCache
from lr_dataset.streaming.episode import EpisodeData, read_rows
from lr_dataset.streaming.ranges import mp4_episode, mp4_header, parquet_footer, parquet_row_groups
from lr_dataset.streaming.source import LocalFiles, RemoteFiles
from lr_dataset.timestamps import frame_times


@dataclass
class EpisodeFiles:
    """Where each episode's rows and videos are, from ``meta/episodes`` (indexed by episode)."""

    from_index: np.ndarray
    to_index: np.ndarray
    data_chunk: np.ndarray
    data_file: np.ndarray
    data_path: str
    video_path: str | None
    video: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]  # chunk, file, from_timestamp

    @classmethod
    def from_meta(cls, meta: LeRobotDatasetMetadata) -> EpisodeFiles:
        """Read the columns once from the metadata."""
        eps = meta.episodes
        assert eps is not None
        return cls(
            from_index=eps.column("dataset_from_index").astype(np.int64),
            to_index=eps.column("dataset_to_index").astype(np.int64),
            data_chunk=eps.column("data/chunk_index").astype(np.int64),
            data_file=eps.column("data/file_index").astype(np.int64),
            data_path=meta.data_path,
            video_path=meta.video_path,
            video={
                k: (
                    eps.column(f"videos/{k}/chunk_index").astype(np.int64),
                    eps.column(f"videos/{k}/file_index").astype(np.int64),
                    eps.column(f"videos/{k}/from_timestamp").astype(np.float64),
                )
                for k in meta.video_keys
            },
        )

    def data(self, ep: int) -> str:
        """Relative path of the data parquet of ``ep``."""
        return self.data_path.format(
            chunk_index=int(self.data_chunk[ep]), file_index=int(self.data_file[ep])
        )

    def video_file(self, key: str, ep: int) -> str:
        """Relative path of the MP4 holding camera ``key`` of ``ep``."""
        chunks, files, _ = self.video[key]
        return str(self.video_path).format(
            video_key=key, chunk_index=int(chunks[ep]), file_index=int(files[ep])
        )

    def from_timestamp(self, key: str, ep: int) -> float:
        """Where ``ep`` starts in its MP4, in seconds."""
        return float(self.video[key][2][ep])


class Prefetcher:
    """Background loading of admitted episodes for one consumer (see the module docstring)."""

    def __init__(
        self,
        meta: LeRobotDatasetMetadata,
        locations: EpisodeFiles,
        files: LocalFiles | RemoteFiles,
        cache: RangeCache | None,
        *,
        workers: int = 4,
        tolerance_s: float = 1e-4,
    ) -> None:
        if files.is_remote and cache is None:
            raise ValueError("a remote source needs a cache")
        self.meta = meta
        self.locations = locations
        self.files = files
        self.cache = cache
        self.tolerance_s = tolerance_s
        self.workers = max(1, workers)
        self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="lr-stream-fetch")
        self._futures: dict[int, Future[EpisodeData]] = {}
        self._owners: dict[int, tuple[int, int]] = {}
        self._required: set[tuple[int, int]] = set()
        self._ahead: list[int] = []  # loaded ahead of admission, nearest first
        self._cancelled: set[tuple[int, int]] = set()
        self._serial = itertools.count()
        self._lock = threading.Lock()
        self._headers: dict[str, list[Range]] = {}
        self._plans: dict[tuple[str, int], list[Range]] = {}
        self.loaded = 0

    # ------------------------------------------------------------------ API
    def admit(self, ep: int) -> None:
        """``ep`` entered the pool: load it now (or make its look-ahead load a required one)."""
        with self._lock:
            owner = self._owners.get(ep)
            if owner is not None:
                self._required.add(owner)
                if ep in self._ahead:
                    self._ahead.remove(ep)
                return
            self._submit(ep, required=True)

    def lookahead(self, episodes: list[int]) -> None:
        """Start loading ``episodes`` ahead of admission, if and while the cache has room."""
        with self._lock:
            for ep in episodes:
                if ep not in self._owners:
                    self._submit(ep, required=False)
                    self._ahead.append(ep)

    def get(self, ep: int) -> EpisodeData:
        """The loaded episode (waits for its load; raises what loading raised). A load still
        queued behind others is taken out of the queue and done here and now."""
        with self._lock:
            future = self._futures.get(ep)
            if future is None:
                future = self._submit(ep, required=True)
            owner = self._owners[ep]
            stolen = future.cancel()
            if stolen:
                future = Future()
                self._futures[ep] = future
        if stolen:
            try:
                future.set_result(self._load(ep, owner))
            except BaseException as exc:
                future.set_exception(exc)
        try:
            return future.result()
        except NoRoom:  # a look-ahead load that found no room (or gave it back) before admission
            with self._lock:
                if self._futures.get(ep) is future:
                    self._owners.pop(ep, None)
                    future = self._submit(ep, required=True)
                else:
                    future = self._futures[ep]
            return future.result()

    def make_room(self) -> bool:
        """Give back the cache room of the episode loaded furthest ahead (it is loaded again
        when admitted); False when no episode is loaded ahead."""
        with self._lock:
            if not self._ahead:
                return False
            ep = self._ahead.pop()
            future = self._futures.pop(ep)
            owner = self._owners.pop(ep)
            self._cancelled.add(owner)
        self._drop(future, owner)
        return True

    def _drop(self, future: Future[EpisodeData], owner: tuple[int, int]) -> None:
        """Stop a load (a running one stops at its next acquisition) and free its holds, now
        and once more when it has ended."""
        future.cancel()
        cache = self.cache

        def done(_future: Future[EpisodeData]) -> None:
            if cache is not None:
                cache.release(owner)
            with self._lock:
                self._cancelled.discard(owner)

        if cache is not None:
            cache.release(owner)
        future.add_done_callback(done)

    def release(self, ep: int) -> None:
        """``ep`` left the pool: free its rows and its cached ranges."""
        with self._lock:
            future = self._futures.pop(ep, None)
            owner = self._owners.pop(ep, None)
            if owner is not None:
                self._required.discard(owner)
                self._cancelled.add(owner)
            if ep in self._ahead:
                self._ahead.remove(ep)
        if future is not None and owner is not None:
            self._drop(future, owner)

    def resident(self) -> list[int]:
        """Episodes loaded or loading."""
        with self._lock:
            return list(self._futures)

    def close(self) -> None:
        """Stop loading and drop everything (the cache's files included)."""
        if isinstance(self.files, RemoteFiles):
            self.files.close()
        self._pool.shutdown(wait=True, cancel_futures=True)
        with self._lock:
            self._futures.clear()
            self._owners.clear()
        if self.cache is not None:
            self.cache.close()

    # ------------------------------------------------------------------ loading
    def _submit(self, ep: int, *, required: bool) -> Future[EpisodeData]:
        owner = (ep, next(self._serial))
        self._owners[ep] = owner
        if required:
            self._required.add(owner)
        future = self._pool.submit(self._load, ep, owner)
        self._futures[ep] = future
        return future

    def _load(self, ep: int, owner: tuple[int, int]) -> EpisodeData:
        try:
            return self._load_episode(ep, owner)
        except BaseException:
            if self.cache is not None:
                self.cache.release(owner)
            raise

    def _acquire(self, owner: tuple[int, int], relative: str, ranges: list[Range]) -> Path:
        assert self.cache is not None
        with self._lock:
            if owner in self._cancelled:
                raise NoRoom("this look-ahead load gave its room back")
            required = owner in self._required
        return self.cache.acquire(owner, relative, ranges, required=required)

    def _header(self, relative: str, kind: str) -> list[Range]:
        ranges = self._headers.get(relative)
        if ranges is None:
            files = self.files
            assert isinstance(files, RemoteFiles) and self.cache is not None
            size = self.cache.file_size(relative)
            what = files.describe(relative)

            def read(a: int, b: int) -> bytes:
                return files.read(relative, a, b)

            ranges = (
                mp4_header(read, size, what) if kind == "mp4" else parquet_footer(read, size, what)
            )
            self._headers[relative] = ranges
        return ranges

    def _load_episode(self, ep: int, owner: tuple[int, int]) -> EpisodeData:
        loc = self.locations
        first, stop = int(loc.from_index[ep]), int(loc.to_index[ep])
        data_rel = loc.data(ep)
        what = self.files.describe(data_rel)
        if isinstance(self.files, RemoteFiles):
            import pyarrow.parquet as pq

            path = self._acquire(owner, data_rel, self._header(data_rel, "parquet"))
            _, spans = parquet_row_groups(pq.ParquetFile(path), first, stop)
            self._acquire(owner, data_rel, spans)
            arrays, arrow = read_rows(path, first, stop, self.meta, what=what)
            assert self.cache is not None
            self.cache.release(owner, data_rel)  # the rows are in RAM now
        else:
            arrays, arrow = read_rows(self.files.path(data_rel), first, stop, self.meta, what=what)
        data = EpisodeData(ep, stop - first, arrays, arrow)
        timestamps, _ = frame_times(arrays["timestamp"], arrays["frame_index"], self.meta.fps)
        margin = 1.0 / self.meta.fps + self.tolerance_s
        for key in self.meta.video_keys:
            rel = loc.video_file(key, ep)
            start = loc.from_timestamp(key, ep)
            if isinstance(self.files, RemoteFiles):
                path = self._acquire(owner, rel, self._header(rel, "mp4"))
                plan = self._plans.get((rel, ep))
                if plan is None:
                    plan = mp4_episode(
                        path,
                        start + float(timestamps.min()) - margin,
                        start + float(timestamps.max()) + margin,
                    )
                    self._plans[(rel, ep)] = plan
                self._acquire(owner, rel, plan)
            else:
                path = self.files.path(rel)
            data.videos[key] = (path, start)
        self.loaded += 1
        return data
