"""Recording episodes into a LeRobot v3.0 dataset, crash-safely.

``add_frame`` validates the frame and buffers it; camera frames go straight to background
workers (an MP4 encoder thread per video camera, a PNG encoder per image camera), so encoding
overlaps recording. ``save_episode`` waits for those workers, then commits the episode in this
order, every file replaced atomically (temporary file, fsync, rename):

1. ``meta/tasks.parquet`` (only when the episode brings a new task),
2. the data parquet (the current file rewritten with one more row group, or a new file),
3. each camera's shared MP4 (the episode appended by stream copy, or a new file),
4. the episodes parquet (the current file rewritten with one more row) - the commit point,
5. ``meta/stats.json`` then ``meta/info.json``.

A crash before step 4 leaves at most unreferenced rows or frames at the end of a file, which
readers ignore and :func:`repair` removes; a crash after it leaves counters that readers
re-derive from the episodes table. See ``docs/adr/0005-dataset-crash-safety.md``.

``save_episode(background=True)`` hands the episode to one committer thread and returns at
once, so a recording loop goes on with the next episode while the last one's video is flushed
and its files are written; commits run one at a time, in episode order, with the same commit
order as above. Such an episode is durable once :meth:`DatasetWriter.wait_for_saves` (or
``finalize``) returns, or when ``on_saved`` reports it. A failed background commit is raised by
the next call on the writer; later episodes are not committed after it.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from lr_core.fileio import fsync_dir
from lr_dataset import episodes as episodes_io
from lr_dataset import layout, tabular
from lr_dataset import stats as stats_io
from lr_dataset import tasks as tasks_io
from lr_dataset.errors import DatasetWriteError, FrameValidationError, VideoEncoderError
from lr_dataset.metadata import LeRobotDatasetMetadata
from lr_dataset.parquet_io import write_tables
from lr_dataset.specs import check_features
from lr_dataset.staging import RECORDING_DIR, clear_recording_dir
from lr_dataset.stats import ImageStats
from lr_dataset.timestamps import TIMESTAMP_DTYPE, is_frame_time
from lr_dataset.validation import validate_frame
from lr_dataset.video.encode import EpisodeEncoder, VideoEncoderConfig
from lr_dataset.video.encoder_process import PROCESS_CODECS, ProcessEpisodeEncoder
from lr_dataset.video.files import append_episode, probe

logger = logging.getLogger(__name__)


class _ImageSink:
    """PNG-encodes one image camera's frames on a worker thread, with running stats."""

    def __init__(self, is_depth: bool) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lr-png")
        self._is_depth = is_depth
        self._futures: list[Future[bytes]] = []
        self._stats = ImageStats(is_depth=is_depth)

    def put(self, image: np.ndarray) -> None:
        # the stats object is bound now: the episode may be detached before the worker runs
        self._futures.append(self._pool.submit(self._work, image, self._stats))

    @staticmethod
    def _work(image: np.ndarray, stats: ImageStats) -> bytes:
        stats.update(image)
        return tabular.encode_png(image)

    def detach(self) -> tuple[list[Future[bytes]], ImageStats]:
        """This episode's pending PNGs and stats; the sink starts a new episode."""
        detached = (self._futures, self._stats)
        self._futures = []
        self._stats = ImageStats(is_depth=self._is_depth)
        return detached

    def finish(self) -> tuple[list[bytes], dict[str, np.ndarray]]:
        return _resolve_images(*self.detach())

    def reset(self) -> None:
        for f in self._futures:
            f.cancel()
        self._futures = []
        self._stats = ImageStats(is_depth=self._is_depth)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


#: a camera's episode encoder: in a child process (libsvtav1) or on a thread
Encoder = EpisodeEncoder | ProcessEpisodeEncoder


def _cancel_all(encoders: Iterable[Encoder]) -> None:
    """Cancel a group of encoders: all are stopped before any is waited for (the encoder gate
    closes one only while none of the others still has frames in flight)."""
    group = list(encoders)
    for encoder in group:
        with contextlib.suppress(VideoEncoderError):
            encoder.stop(discard=True)
    for encoder in group:
        try:
            encoder.cancel()
        except VideoEncoderError as exc:
            logger.error("%s", exc)


def _resolve_images(
    futures: list[Future[bytes]], stats: ImageStats
) -> tuple[list[bytes], dict[str, np.ndarray]]:
    """The PNG bytes of a detached image episode (waiting for the worker) and its stats."""
    data = [f.result() for f in futures]
    return data, stats.result()


@dataclass
class _PendingEpisode:
    """An episode taken out of the recording buffer, waiting to be committed."""

    index: int
    first_frame: int
    values: dict[str, list[Any]]
    timestamps: list[float]
    tasks: list[str]
    encoders: dict[str, Encoder]
    images: dict[str, tuple[list[Future[bytes]], ImageStats]]
    detached_at: float = field(default_factory=time.perf_counter)


@dataclass
class _Undo:
    """The writer's file positions just before an episode was committed (to discard it)."""

    index: int
    first_frame: int
    data: tuple[tuple[int, int], list[Any], int]
    episodes: tuple[tuple[int, int], list[dict[str, Any]]]
    videos: tuple[dict[str, tuple[int, int]], dict[str, float | None]]


#: ``on_saved(episode_index, seconds)``: an episode was committed (``seconds``: from the
#: ``save_episode`` call to the commit point)
SavedCallback = Callable[[int, float], None]


class DatasetWriter:
    """Write side of a :class:`~lr_dataset.dataset.LeRobotDataset` (one per recording process)."""

    def __init__(
        self,
        meta: LeRobotDatasetMetadata,
        *,
        video_encoder: VideoEncoderConfig | None = None,
        encoder_threads: int | None = None,
        encoder_queue_maxsize: int = 120,
        resume: bool = False,
    ) -> None:
        self.meta = meta
        self.root = meta.root
        self.video_encoder = video_encoder or VideoEncoderConfig()
        if meta.video_keys:
            self.video_encoder.check_available()
        check_features(meta.features, video_encoder=self.video_encoder)
        self.encoder_threads = encoder_threads
        self.encoder_queue_maxsize = encoder_queue_maxsize
        #: encode each camera in a child process, killed and encoded again from the episode's
        #: raw frames when it hangs (default for libsvtav1, which does now and then: see
        #: lr_dataset.video.encoder_process); False: a thread of this process
        self.encoder_process = self.video_encoder.vcodec in PROCESS_CODECS
        #: seconds a call into a video encoder may take before it counts as hung (None: the
        #: encoder's default, 10 s in a child process, 120 s on a thread)
        self.encoder_watchdog_s: float | None = None
        self._schema = tabular.schema(meta.features)
        self._columns = tabular.parquet_columns(meta.features)
        self._staging = self.root / RECORDING_DIR
        self._finalized = False
        #: seconds each ``save_episode`` call blocked its caller
        self.save_times_s: list[float] = []
        #: seconds from each ``save_episode`` call to its episode's commit point
        self.commit_times_s: list[float] = []
        #: called (on the committer thread for background saves) after each commit
        self.on_saved: SavedCallback | None = None
        # episodes handed to save_episode but maybe not committed yet
        self._next_episode = meta.total_episodes
        self._next_frame = meta.total_frames
        self._committer: ThreadPoolExecutor | None = None
        self._pending: list[Future[int]] = []
        self._commit_error: BaseException | None = None
        self._commit_lock = threading.Lock()
        self._undo: _Undo | None = None
        #: an encoder hung: its partial MP4 stays under the staging folder
        self._keep_staging = False

        # where the next episode goes
        self._data_loc: tuple[int, int] = (0, 0)
        self._data_tables: list[Any] = []
        self._data_frames = 0
        self._ep_loc: tuple[int, int] = (0, 0)
        self._ep_rows: list[dict[str, Any]] = []
        self._video_loc: dict[str, tuple[int, int]] = {k: (0, 0) for k in meta.video_keys}
        self._video_end: dict[str, float | None] = {k: None for k in meta.video_keys}
        if resume and meta.total_episodes > 0:
            last = meta.episode(meta.total_episodes - 1)
            size = meta.chunks_size
            self._data_loc = layout.next_file(
                last["data/chunk_index"], last["data/file_index"], size
            )
            self._ep_loc = layout.next_file(
                last["meta/episodes/chunk_index"], last["meta/episodes/file_index"], size
            )
            for key in meta.video_keys:
                self._video_loc[key] = layout.next_file(
                    last[f"videos/{key}/chunk_index"], last[f"videos/{key}/file_index"], size
                )
        self._image_sinks = {k: _ImageSink(k in meta.depth_keys) for k in meta.image_keys}
        self._reset_buffer()

    # ------------------------------------------------------------------ buffer
    def _reset_buffer(self) -> None:
        self._values: dict[str, list[Any]] = {
            k: [] for k in self._columns if not self.meta.features[k].is_visual
        }
        for key in ("timestamp", "frame_index", "episode_index", "index", "task_index"):
            self._values.pop(key, None)
        self._timestamps: list[float] = []
        self._tasks: list[str] = []
        self._encoders: dict[str, Encoder] = {}

    @property
    def finalized(self) -> bool:
        """True once :meth:`finalize` ran (no more episodes can be added)."""
        return self._finalized

    @property
    def next_episode_index(self) -> int:
        """The index the episode being recorded will get (background saves counted)."""
        return self._next_episode

    @property
    def num_buffered_frames(self) -> int:
        """Frames added since the last ``save_episode``."""
        return len(self._timestamps)

    def _require_open(self) -> None:
        if self._finalized:
            raise DatasetWriteError(
                f"{self.root}: the dataset was finalized; reopen it with LeRobotDataset.resume() "
                f"to record more episodes"
            )
        self._raise_commit_error()

    def _raise_commit_error(self) -> None:
        error = self._commit_error
        if error is not None:
            raise DatasetWriteError(
                f"{self.root}: saving an episode in the background failed: {error}; the episodes "
                f"saved before it are on disk, later ones were not written"
            ) from error

    def add_frame(self, frame: dict[str, Any]) -> None:
        """Validate ``frame`` and add it to the current episode (see :func:`validate_frame`)."""
        self._require_open()
        n = len(self._timestamps)
        fps = self.meta.fps
        values, task, timestamp = validate_frame(
            frame,
            self.meta.features,
            last_timestamp=self._timestamps[-1] if self._timestamps else None,
            default_timestamp=n / fps,
        )
        if self.meta.video_keys and not is_frame_time(timestamp, n, fps):
            raise FrameValidationError(
                f"frame['timestamp'] = {timestamp} but this is frame {n} of the episode at "
                f"{fps} fps (expected {n / fps:.6f}): video frames are stored at a constant rate, "
                f"so in a dataset with videos timestamps must be frame_index / fps"
            )
        # all checks passed: buffer it
        for key in self.meta.video_keys:  # every camera's encoder exists before any gets a frame
            if key not in self._encoders:
                self._start_encoder(key)
        for key, value in values.items():
            spec = self.meta.features[key]
            if spec.dtype == "video":
                self._encoders[key].put(np.array(value, copy=True))
            elif spec.dtype == "image":
                self._image_sinks[key].put(np.array(value, copy=True))
            elif key in self._values:
                self._values[key].append(value)
        self._timestamps.append(timestamp)
        self._tasks.append(task)

    def prepare_episode(self, *, wait: bool = True, timeout_s: float = 10.0) -> None:
        """Open the next episode's video encoders now (frame sizes from the features) instead
        of at its first frame: opening an encoder holds the GIL for tens of ms, which a
        recording loop should pay between episodes, not in its first tick. With ``wait``,
        returns once they are open (or ``timeout_s`` passed)."""
        self._require_open()
        for key in self.meta.video_keys:
            if key not in self._encoders:
                self._start_encoder(key, prepared=True)
        if wait:
            deadline = time.monotonic() + timeout_s
            for encoder in self._encoders.values():
                encoder.opened.wait(max(0.0, deadline - time.monotonic()))

    def _start_encoder(self, key: str, prepared: bool = False) -> Encoder:
        self._staging.mkdir(parents=True, exist_ok=True)
        path = self._staging / f"{key}.episode-{self._next_episode:06d}.mp4"
        shape = self.meta.features[key].shape
        size = (int(shape[0]), int(shape[1])) if prepared else None
        common: dict[str, Any] = {
            "max_queue": self.encoder_queue_maxsize,
            "threads": self.encoder_threads,
            "size": size,
        }
        if self.encoder_watchdog_s is not None:
            common["watchdog_s"] = self.encoder_watchdog_s
        encoder: Encoder
        if self.encoder_process:
            encoder = ProcessEpisodeEncoder(path, self.meta.fps, self.video_encoder, **common)
        else:
            encoder = EpisodeEncoder(path, self.meta.fps, self.video_encoder, **common)
        self._encoders[key] = encoder
        return encoder

    def clear_episode_buffer(self) -> None:
        """Drop the frames added since the last ``save_episode``."""
        _cancel_all(self._encoders.values())
        for sink in self._image_sinks.values():
            sink.reset()
        self._reset_buffer()

    # ------------------------------------------------------------------ save
    def save_episode(self, *, background: bool = False) -> int:
        """Commit the buffered frames as the next episode; returns its ``episode_index``.

        With ``background=False`` the episode is durable when this returns (ADR 0005). With
        ``background=True`` it is handed to the committer thread and this returns at once;
        the episode is durable once :meth:`wait_for_saves` returns or ``on_saved`` reports it.
        """
        started = time.perf_counter()
        self._require_open()
        if not self._timestamps:
            raise DatasetWriteError("save_episode() called with no frames: call add_frame() first")
        pending = self._detach(started)
        if background:
            if self._committer is None:
                self._committer = ThreadPoolExecutor(1, thread_name_prefix="lr-commit")
            self._pending.append(self._committer.submit(self._commit_in_background, pending))
            self._pending = [f for f in self._pending if not f.done()]
        else:
            self.wait_for_saves()
            self._commit(pending)
        self.save_times_s.append(time.perf_counter() - started)
        return pending.index

    def wait_for_saves(self) -> None:
        """Block until every episode handed to ``save_episode`` is committed; raises the error
        of a failed background commit."""
        for future in list(self._pending):
            with contextlib.suppress(Exception):
                future.result()
        self._pending = []
        self._raise_commit_error()

    @property
    def pending_saves(self) -> int:
        """Episodes handed to ``save_episode(background=True)`` and not committed yet."""
        return sum(1 for f in self._pending if not f.done())

    def _detach(self, started: float) -> _PendingEpisode:
        n = len(self._timestamps)
        pending = _PendingEpisode(
            index=self._next_episode,
            first_frame=self._next_frame,
            values=self._values,
            timestamps=self._timestamps,
            tasks=self._tasks,
            encoders=self._encoders,
            images={k: sink.detach() for k, sink in self._image_sinks.items()},
            detached_at=started,
        )
        for encoder in pending.encoders.values():
            if isinstance(encoder, ProcessEpisodeEncoder):
                # flushed now, not when the committer gets to the episode: its process and raw
                # frames are freed at once, however many episodes wait to be committed
                encoder.stop()
        self._next_episode += 1
        self._next_frame += n
        self._reset_buffer()
        return pending

    def _commit_in_background(self, pending: _PendingEpisode) -> int:
        if self._commit_error is not None:  # never commit past a failed episode
            _cancel_all(pending.encoders.values())
            raise DatasetWriteError(f"episode {pending.index} not saved after an earlier failure")
        try:
            return self._commit(pending)
        except BaseException as exc:
            self._commit_error = exc
            logger.error("%s: saving episode %d failed: %s", self.root, pending.index, exc)
            raise

    def _commit(self, pending: _PendingEpisode) -> int:
        with self._commit_lock:
            index = self._commit_locked(pending)
        seconds = time.perf_counter() - pending.detached_at
        self.commit_times_s.append(seconds)
        if self.on_saved is not None:
            self.on_saved(index, seconds)
        return index

    def _commit_locked(self, pending: _PendingEpisode) -> int:
        n = len(pending.timestamps)
        meta = self.meta
        features = meta.features
        ep_index = pending.index
        first_index = pending.first_frame
        if ep_index != meta.total_episodes or first_index != meta.total_frames:
            raise DatasetWriteError(
                f"{self.root}: episode {ep_index} (from frame {first_index}) does not follow the "
                f"{meta.total_episodes} episodes / {meta.total_frames} frames on disk"
            )
        undo = _Undo(
            index=ep_index,
            first_frame=first_index,
            data=(self._data_loc, list(self._data_tables), self._data_frames),
            episodes=(self._ep_loc, list(self._ep_rows)),
            videos=(dict(self._video_loc), dict(self._video_end)),
        )

        # 1. camera workers
        ep_stats: dict[str, dict[str, np.ndarray]] = {}
        images: dict[str, list[bytes]] = {}
        image_stats: dict[str, dict[str, np.ndarray]] = {}
        for key, detached in pending.images.items():
            images[key], image_stats[key] = _resolve_images(*detached)
        video_files: dict[str, Path] = {}
        for encoder in pending.encoders.values():  # all flush at once (the encoder gate's rule)
            encoder.stop()
        for key in meta.video_keys:
            encoder = pending.encoders[key]
            try:
                stats = encoder.finish()
            except VideoEncoderError:
                if encoder.hung or encoder.spool_path is not None:
                    self._keep_staging = True  # the raw frames or the partial file stay
                raise
            if stats is not None:
                image_stats[key] = stats
            video_files[key] = encoder.path

        # 2. tasks
        new_task = False
        for task in pending.tasks:
            if task not in meta.tasks:
                meta.tasks.add(task)
                new_task = True
        if new_task:
            tasks_io.save(meta.tasks, self.root)
        task_index = np.array([meta.tasks.index(t) for t in pending.tasks], dtype=np.int64)

        # 3. data table and stats
        columns: dict[str, Any] = {}
        auto = {
            "timestamp": np.asarray(pending.timestamps, dtype=TIMESTAMP_DTYPE),
            "frame_index": np.arange(n, dtype=np.int64),
            "episode_index": np.full(n, ep_index, dtype=np.int64),
            "index": np.arange(first_index, first_index + n, dtype=np.int64),
            "task_index": task_index,
        }
        for key, spec in features.items():
            if spec.dtype in ("string", "language"):
                if key in self._columns:
                    columns[key] = tabular.column_array(spec, pending.values.get(key, [None] * n))
                continue
            if spec.is_visual:
                if key in image_stats:
                    ep_stats[key] = image_stats[key]
                if spec.dtype == "image":
                    columns[key] = tabular.column_array(spec, images[key])
                continue
            values = auto[key] if key in auto else np.stack(pending.values[key])
            columns[key] = tabular.column_array(spec, list(values))
            ep_stats[key] = stats_io.vector_stats(values)
        import pyarrow as pa

        table = pa.Table.from_arrays([columns[k] for k in self._columns], schema=self._schema)
        data_loc = self._write_data(table)

        # 4. videos
        row: dict[str, Any] = {
            "episode_index": ep_index,
            "tasks": list(dict.fromkeys(pending.tasks)),
            "length": n,
            "data/chunk_index": data_loc[0],
            "data/file_index": data_loc[1],
            "dataset_from_index": first_index,
            "dataset_to_index": first_index + n,
        }
        for key in meta.video_keys:
            row.update(self._append_video(key, video_files[key]))
        row.update(episodes_io.stats_columns(ep_stats))

        # 5. the commit point: the episodes parquet
        self._write_episode_row(row)

        # 6. stats and info
        meta.stats = stats_io.aggregate([meta.stats, ep_stats]) if meta.stats else ep_stats
        stats_io.save(meta.stats, self.root)
        meta.info.total_episodes = ep_index + 1
        meta.info.total_frames = first_index + n
        meta.info.total_tasks = len(meta.tasks)
        meta.info.splits = {"train": f"0:{ep_index + 1}"}
        meta.info.save(self.root)
        meta.episodes = None  # reloaded on finalize
        self._undo = undo
        return ep_index

    def discard_last_episode(self) -> int:
        """Remove the last episode this writer saved (LeRobot's "re-record" pressed after an
        episode was saved); returns its index, which the next saved episode takes again.

        Crash-safe in ADR 0005's order: the episode row goes first (the commit point: from then
        on the episode is gone), then its data rows, files it alone started, ``stats.json`` and
        ``info.json``. Its video frames appended to a shared MP4 stay there, unreferenced (no
        reader sees them; the next episode is appended after them).

        Raises:
            DatasetWriteError: no episode saved in this session to discard (only the last one
                can be), or frames of the next episode were already added.
        """
        self._require_open()
        self.wait_for_saves()
        undo = self._undo
        if undo is None:
            raise DatasetWriteError(
                f"{self.root}: no episode saved by this session to discard (only the last one "
                f"saved can be); use lr dataset delete-episodes for others"
            )
        if self._timestamps:
            raise DatasetWriteError(
                f"{self.root}: frames of the next episode were added; discard them first "
                f"(clear_episode_buffer) to discard episode {undo.index}"
            )
        meta = self.meta
        with self._commit_lock:
            # 1. the commit point: the episode row
            current = layout.episodes_path(self.root, *self._ep_loc)
            ep_loc, ep_rows = undo.episodes
            if ep_loc != self._ep_loc or not ep_rows:
                current.unlink(missing_ok=True)
                fsync_dir(current.parent)
            if ep_rows:
                episodes_io.write_file(ep_rows, layout.episodes_path(self.root, *ep_loc))
            self._ep_loc, self._ep_rows = ep_loc, list(ep_rows)
            # 2. its data rows
            current = self.root / meta.data_path.format(
                chunk_index=self._data_loc[0], file_index=self._data_loc[1]
            )
            data_loc, tables, frames = undo.data
            if data_loc != self._data_loc or not tables:
                current.unlink(missing_ok=True)
                fsync_dir(current.parent)
            if tables:
                path = self.root / meta.data_path.format(
                    chunk_index=data_loc[0], file_index=data_loc[1]
                )
                write_tables(tables, self._schema, path)
            self._data_loc, self._data_tables, self._data_frames = data_loc, list(tables), frames
            # 3. a video file it alone started
            video_loc, video_end = undo.videos
            for key in meta.video_keys:
                if video_loc[key] != self._video_loc[key] or video_end[key] is None:
                    path = self.root / str(meta.video_path).format(
                        video_key=key,
                        chunk_index=self._video_loc[key][0],
                        file_index=self._video_loc[key][1],
                    )
                    path.unlink(missing_ok=True)
            self._video_loc, self._video_end = dict(video_loc), dict(video_end)
            # 4. stats and info
            per_episode = episodes_io.load_stats(self.root)
            stats_path = self.root / "meta/stats.json"
            if per_episode:
                meta.stats = stats_io.aggregate(per_episode)
                stats_io.save(meta.stats, self.root)
            else:
                meta.stats = None
                stats_path.unlink(missing_ok=True)
            meta.info.total_episodes = undo.index
            meta.info.total_frames = undo.first_frame
            meta.info.total_tasks = len(meta.tasks)
            meta.info.splits = {"train": f"0:{undo.index}"}
            meta.info.save(self.root)
            meta.episodes = None
            self._next_episode, self._next_frame = undo.index, undo.first_frame
            self._undo = None
        return undo.index

    def _write_data(self, table: Any) -> tuple[int, int]:
        meta = self.meta
        path = self.root / meta.data_path.format(
            chunk_index=self._data_loc[0], file_index=self._data_loc[1]
        )
        if self._data_tables:
            size = layout.size_in_mb(path)
            per_frame = size / max(self._data_frames, 1)
            if size + per_frame * table.num_rows >= meta.info.data_files_size_in_mb:
                self._data_loc = layout.next_file(*self._data_loc, meta.chunks_size)
                self._data_tables = []
                self._data_frames = 0
                path = self.root / meta.data_path.format(
                    chunk_index=self._data_loc[0], file_index=self._data_loc[1]
                )
        self._data_tables.append(table)
        self._data_frames += table.num_rows
        write_tables(self._data_tables, self._schema, path)
        return self._data_loc

    def _append_video(self, key: str, episode_file: Path) -> dict[str, Any]:
        meta = self.meta
        loc = self._video_loc[key]

        def path_of(loc: tuple[int, int]) -> Path:
            return self.root / str(meta.video_path).format(
                video_key=key, chunk_index=loc[0], file_index=loc[1]
            )

        shared = path_of(loc)
        if self._video_end[key] is not None:
            grown = layout.size_in_mb(shared) + layout.size_in_mb(episode_file)
            if grown >= meta.info.video_files_size_in_mb:
                loc = layout.next_file(*loc, meta.chunks_size)
                self._video_loc[key] = loc
                self._video_end[key] = None
                shared = path_of(loc)
        if self._video_end[key] is None and shared.exists():
            shared.unlink()  # an orphan left by an interrupted session: never referenced
        start, end = append_episode(shared, episode_file)
        self._video_end[key] = end
        spec = meta.features[key]
        info = dict(spec.info or {})
        if "video.codec" not in info:
            probed = probe(shared)
            new_info = {**probed, **self.video_encoder.info_fields()}
            new_info["is_depth_map"] = bool(info.get("is_depth_map", False))
            meta.info.features[key] = spec.model_copy(update={"info": {**info, **new_info}})
        return {
            f"videos/{key}/chunk_index": loc[0],
            f"videos/{key}/file_index": loc[1],
            f"videos/{key}/from_timestamp": start,
            f"videos/{key}/to_timestamp": end,
        }

    def _write_episode_row(self, row: dict[str, Any]) -> None:
        meta = self.meta
        path = layout.episodes_path(self.root, *self._ep_loc)
        if self._ep_rows:
            size = layout.size_in_mb(path)
            if size + size / len(self._ep_rows) >= meta.info.data_files_size_in_mb:
                self._ep_loc = layout.next_file(*self._ep_loc, meta.chunks_size)
                self._ep_rows = []
                path = layout.episodes_path(self.root, *self._ep_loc)
        row["meta/episodes/chunk_index"] = self._ep_loc[0]
        row["meta/episodes/file_index"] = self._ep_loc[1]
        self._ep_rows.append(row)
        episodes_io.write_file(self._ep_rows, path)

    # ------------------------------------------------------------------ end
    def finalize(self) -> None:
        """Wait for background saves, stop the workers and drop unsaved frames (idempotent).
        Saved episodes are on disk; a failed background save is raised after the cleanup."""
        if self._finalized:
            return
        for future in list(self._pending):
            with contextlib.suppress(Exception):
                future.result()
        self._pending = []
        if self._committer is not None:
            self._committer.shutdown(wait=True)
            self._committer = None
        if self._timestamps:
            logger.warning(
                "%s: finalize() drops %d frames added after the last save_episode()",
                self.root,
                len(self._timestamps),
            )
        self.clear_episode_buffer()
        for sink in self._image_sinks.values():
            sink.close()
        if self._keep_staging:
            logger.warning(
                "%s: a video encoder failed; its raw frames (*.rgb24) or partial file stay in "
                "%s (partial MP4s are removed by LeRobotDataset.resume or lr_dataset.repair, "
                "raw frames are kept)",
                self.root,
                self._staging,
            )
        else:  # raw frames of an episode whose encoding failed (*.rgb24) stay
            clear_recording_dir(self._staging)
        self._finalized = True
        self._raise_commit_error_after_finalize()

    def _raise_commit_error_after_finalize(self) -> None:
        error = self._commit_error
        if error is not None:
            self._commit_error = None
            raise DatasetWriteError(
                f"{self.root}: saving an episode in the background failed: {error}; the episodes "
                f"saved before it are on disk, later ones were not written"
            ) from error

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            if not self._finalized:
                _cancel_all(self._encoders.values())
