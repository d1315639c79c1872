"""Writing a new dataset from episodes of existing ones: the engine under every editing tool.

:func:`rebuild` takes episodes from one or more source datasets, in the order they should
appear, and writes a complete LeRobot v3.0 dataset at a new root:

- episodes are renumbered ``0..N-1``, the global ``index`` is rebuilt, tasks are unified by
  their string (``task_index`` in order of first appearance) and ``task_index`` rewritten;
- data rows are copied with pyarrow (one row group per episode), columns dropped or added on
  the way, into files rolled over at ``data_files_size_in_mb``;
- each camera's MP4 files are copied byte for byte when all their episodes are kept in the same
  order; otherwise the kept episodes are stream-copied into new files
  (:mod:`~lr_dataset.tools.video_segments`), ``from/to_timestamp`` updated;
- per-episode stats are carried over (the re-indexed columns and added features recomputed)
  and ``meta/stats.json`` aggregated from them.

The sources are only read. The result is assembled in a hidden folder beside the target and
renamed into place at the end, so an interrupted tool leaves no half-written dataset behind.
"""

from __future__ import annotations

import io
import logging
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from lr_core.features import FeatureSpec
from lr_dataset import episodes as episodes_io
from lr_dataset import layout, tabular
from lr_dataset import staging as staging_io
from lr_dataset import stats as stats_io
from lr_dataset import tasks as tasks_io
from lr_dataset.consistency import check_rows
from lr_dataset.errors import DatasetFormatError, DatasetWriteError
from lr_dataset.info import DatasetInfo
from lr_dataset.metadata import LeRobotDatasetMetadata
from lr_dataset.parquet_io import write_tables
from lr_dataset.progress import progress
from lr_dataset.tasks import TaskTable
from lr_dataset.video.encode import VideoEncoderConfig

logger = logging.getLogger(__name__)

DEFAULT_KEYS = ("timestamp", "frame_index", "episode_index", "index", "task_index")
REINDEXED_KEYS = ("episode_index", "index", "task_index")

#: values of an added feature: an array over the source's frames (global ``index`` order), or
#: ``fn(row, episode_index, frame_index) -> value`` called per frame (LeRobot's convention).
FeatureValues = np.ndarray | Callable[[dict[str, Any], int, int], Any]


@dataclass
class Source:
    """Episodes ``episodes`` (source indices, in output order) of the dataset ``meta``."""

    meta: LeRobotDatasetMetadata
    episodes: list[int]


@dataclass
class RebuildReport:
    """What :func:`rebuild` did with the video files (for logs and tests)."""

    copied_videos: list[str] = field(default_factory=list)
    remuxed_videos: list[str] = field(default_factory=list)
    reencoded_videos: list[str] = field(default_factory=list)


@dataclass
class _Ref:
    src: int  # position in sources
    old: int  # episode index in that source
    new: int  # episode index in the output


# ---------------------------------------------------------------------------------- helpers
def prepare_output(root: str | Path, sources: Sequence[LeRobotDatasetMetadata]) -> Path:
    """Check ``root`` is a new (or empty) folder that is none of the sources; return it."""
    path = Path(root).expanduser().resolve()
    for meta in sources:
        src = meta.root.resolve()
        if path == src or src in path.parents or path in src.parents:
            raise DatasetWriteError(
                f"output {path} overlaps the source dataset {src}: tools never edit a dataset "
                f"in place; choose another output folder"
            )
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise DatasetWriteError(f"output {path} already exists and is not empty")
    return path


class EpisodeRows:
    """A dataset's data rows episode by episode: files are opened lazily (memory-mapped, one at
    a time) and every slice is checked against its episode row before it is handed out."""

    def __init__(self, meta: LeRobotDatasetMetadata) -> None:
        self.meta = meta
        eps = meta.episodes
        self._chunk = eps.column("data/chunk_index").astype(np.int64)
        self._file = eps.column("data/file_index").astype(np.int64)
        self._from = eps.column("dataset_from_index").astype(np.int64)
        self._to = eps.column("dataset_to_index").astype(np.int64)
        self._loc: tuple[int, int] | None = None
        self._path: Path | None = None
        self._table: Any = None
        self._index: np.ndarray | None = None
        self._bytes_per_row = 0.0
        self._sorted = True

    def _open(self, loc: tuple[int, int]) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        path = self.meta.root / self.meta.data_path.format(chunk_index=loc[0], file_index=loc[1])
        try:
            table = pq.read_table(path, memory_map=True)
        except (OSError, pa.ArrowInvalid) as exc:
            raise DatasetFormatError(f"{path}: cannot read data file: {exc}") from exc
        # one file open at a time: sources are mostly read in file order
        self._loc, self._table, self._path = loc, table, path
        self._index = table.column("index").to_numpy().astype(np.int64)
        self._bytes_per_row = path.stat().st_size / max(table.num_rows, 1)
        self._sorted = _is_sorted(self._index)

    def episode(self, ep: int) -> tuple[Any, float]:
        """``(table, bytes per row)`` for episode ``ep``, its rows checked against the episode
        row (:func:`~lr_dataset.consistency.check_rows`)."""
        import pyarrow as pa

        loc = (int(self._chunk[ep]), int(self._file[ep]))
        if loc != self._loc:
            self._open(loc)
        assert self._index is not None
        first, stop = int(self._from[ep]), int(self._to[ep])
        row = int(np.searchsorted(self._index, first)) if self._sorted else -1
        n = stop - first
        if row >= 0 and np.array_equal(self._index[row : row + n], np.arange(first, stop)):
            table = self._table.slice(row, n)
        else:
            rows = np.flatnonzero((self._index >= first) & (self._index < stop))
            table = self._table.take(pa.array(rows))
        check_rows(
            self._path,
            ep,
            first,
            table.column("index").to_numpy(),
            table.column("episode_index").to_numpy(),
            table.column("frame_index").to_numpy(),
            n,
        )
        return table, self._bytes_per_row


def _is_sorted(values: np.ndarray) -> bool:
    return bool(len(values) < 2 or np.all(values[1:] >= values[:-1]))


def _added_column(
    name: str,
    spec: FeatureSpec,
    values: FeatureValues,
    table: Any,
    source_index: np.ndarray,
) -> np.ndarray:
    """The added feature's values for one episode, shaped ``(n, *shape)``."""
    n = table.num_rows
    if callable(values):
        rows = table.to_pylist()
        out = [values(r, int(r["episode_index"]), int(r["frame_index"])) for r in rows]
    else:
        arr = np.asarray(values)
        if arr.shape[0] <= int(source_index.max()):
            raise DatasetWriteError(
                f"values of new feature {name!r} have {arr.shape[0]} rows but the dataset has "
                f"frames up to index {int(source_index.max())}: give one value per frame"
            )
        out = arr[source_index]
    try:
        return np.asarray(out, dtype=np.dtype(spec.dtype)).reshape(n, *spec.shape)
    except (ValueError, TypeError) as exc:
        raise DatasetWriteError(
            f"values of new feature {name!r} do not fit its shape {list(spec.shape)} and dtype "
            f"{spec.dtype}: {exc}"
        ) from exc


def merged_feature_infos(metas: Sequence[LeRobotDatasetMetadata]) -> dict[str, FeatureSpec]:
    """The first source's features; video encoder keys that differ between sources become null."""
    features = dict(metas[0].features)
    for key in metas[0].video_keys:
        infos = [dict(m.features[key].info or {}) for m in metas]
        merged = dict(infos[0])
        for name in (
            "video.g",
            "video.crf",
            "video.preset",
            "video.fast_decode",
            "video.extra_options",
        ):
            values = [i.get(name) for i in infos]
            if any(v != values[0] for v in values[1:]):
                logger.warning("merging %s: sources disagree on %s; set to null", key, name)
                merged[name] = {} if name == "video.extra_options" else None
        features[key] = features[key].model_copy(update={"info": merged})
    return features


# ---------------------------------------------------------------------------------- engine
def rebuild(
    sources: Sequence[Source],
    output: str | Path,
    *,
    features: Mapping[str, FeatureSpec] | None = None,
    add: Mapping[str, FeatureValues] | None = None,
    recompute_stats: Sequence[str] = (),
    stats_overrides: Sequence[Mapping[str, Mapping[str, np.ndarray]]] | None = None,
    concatenate_videos: bool = False,
    commit: bool = True,
    label: str | None = None,
) -> tuple[Path, RebuildReport]:
    """Write the episodes of ``sources`` (in order) as a new dataset at ``output``.

    ``features``: the output features (default: the first source's); features of the sources
    that are missing from it are dropped. ``add``: values of the features in ``features`` that
    the sources lack. ``recompute_stats``: numeric features whose per-episode stats are computed
    from the data instead of copied. ``stats_overrides``: per output episode, stats that replace
    the carried-over ones (visual stats computed by the caller). Returns the output root and a
    :class:`RebuildReport`. ``concatenate_videos``: join whole source MP4s into shared files
    (stream copy, up to ``video_files_size_in_mb``) instead of copying each one.
    ``commit=False`` returns the hidden staging folder instead, for the caller to move into
    place with :func:`lr_dataset.staging.commit` (several outputs all or none, as ``split``
    does). ``label`` names the output in the progress bars (:mod:`lr_dataset.progress`).
    """
    if not sources or not any(s.episodes for s in sources):
        raise DatasetWriteError("no episodes to write: the result would be an empty dataset")
    metas = [s.meta for s in sources]
    target = prepare_output(output, metas)
    out_features = dict(features) if features is not None else merged_feature_infos(metas)
    add = dict(add or {})
    for key in out_features:
        if key in DEFAULT_KEYS:
            continue
        missing_in = [str(m.root) for m in metas if key not in m.features]
        if missing_in and key not in add:
            raise DatasetWriteError(f"feature {key!r} is missing from {missing_in}")
    for key in DEFAULT_KEYS:
        if key not in out_features:
            raise DatasetWriteError(f"the default column {key!r} cannot be removed")
    first = metas[0]
    info = DatasetInfo.from_json(
        {
            **first.info.to_json(),
            "features": {k: v.to_json() for k, v in out_features.items()},
        }
    )
    info.codebase_version = layout.CODEBASE_VERSION
    video_keys = [k for k, f in out_features.items() if f.dtype == "video"]
    if video_keys:
        info.video_path = info.video_path or layout.VIDEO_PATH
    else:
        info.video_path = None

    refs: list[_Ref] = []
    for s_i, source in enumerate(sources):
        if source.meta.episodes is None:
            raise DatasetFormatError(f"{source.meta.root}: the dataset has no episodes")
        n = source.meta.total_episodes
        bad = [e for e in source.episodes if not 0 <= e < n]
        if bad:
            raise DatasetWriteError(
                f"episodes {bad} do not exist in {source.meta.root} (it has episodes 0..{n - 1})"
            )
        if len(set(source.episodes)) != len(source.episodes):
            raise DatasetWriteError(f"episodes of {source.meta.root} are listed twice")
        for e in source.episodes:
            refs.append(_Ref(s_i, e, len(refs)))

    staging = staging_io.new_partial_dir(target)
    report = RebuildReport()
    try:
        name = label or target.name
        with progress(len(refs), f"{name}: data") as bar:
            rows, per_episode_stats, tasks = _write_data(
                sources, refs, staging, info, out_features, add, recompute_stats, bar
            )
        for key in video_keys:
            with progress(len(refs), f"{name}: {key}") as bar:
                _write_videos(
                    sources, refs, staging, info, key, rows, report, concatenate_videos, bar
                )
        if stats_overrides is not None:
            for ep_stats, override in zip(per_episode_stats, stats_overrides):
                ep_stats.update({k: dict(v) for k, v in override.items()})
        _write_metadata(staging, info, rows, per_episode_stats, tasks)
        if not commit:
            return staging, report
        staging_io.commit(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target, report


def _write_data(
    sources: Sequence[Source],
    refs: list[_Ref],
    root: Path,
    info: DatasetInfo,
    features: Mapping[str, FeatureSpec],
    add: Mapping[str, FeatureValues],
    recompute: Sequence[str],
    bar: Any,
) -> tuple[list[dict[str, Any]], list[dict[str, dict[str, np.ndarray]]], TaskTable]:
    import pyarrow as pa

    schema = tabular.schema(features)
    columns = tabular.parquet_columns(features)
    readers = [EpisodeRows(s.meta) for s in sources]
    src_stats = [episodes_io.load_stats(s.meta.root) for s in sources]
    tasks = TaskTable()
    rows: list[dict[str, Any]] = []
    all_stats: list[dict[str, dict[str, np.ndarray]]] = []
    loc = (0, 0)
    pending: list[Any] = []
    pending_bytes = 0.0
    limit = info.data_files_size_in_mb * 1024**2
    next_index = 0

    def flush() -> None:
        path = root / info.data_path.format(chunk_index=loc[0], file_index=loc[1])
        write_tables(pending, schema, path)

    for ref in refs:
        meta = sources[ref.src].meta
        table, bytes_per_row = readers[ref.src].episode(ref.old)
        n = table.num_rows
        if pending and pending_bytes + bytes_per_row * n >= limit:
            flush()
            loc = layout.next_file(*loc, info.chunks_size)
            pending, pending_bytes = [], 0.0
        old_tasks = table.column("task_index").to_numpy()
        lookup = {int(t): tasks.add(meta.tasks[int(t)]) for t in np.unique(old_tasks)}
        source_index = table.column("index").to_numpy()
        new_values: dict[str, np.ndarray] = {
            "episode_index": np.full(n, ref.new, dtype=np.int64),
            "index": np.arange(next_index, next_index + n, dtype=np.int64),
            "task_index": np.array([lookup[int(t)] for t in old_tasks], dtype=np.int64),
        }
        for key, values in add.items():
            new_values[key] = _added_column(key, features[key], values, table, source_index)
        arrays = []
        for key in columns:
            spec = features[key]
            if key in new_values:
                arrays.append(tabular.column_array(spec, list(new_values[key])))
            else:
                arrays.append(table.column(key).cast(tabular.arrow_type(spec)))
        out_table = pa.Table.from_arrays(arrays, schema=schema)
        pending.append(out_table)
        pending_bytes += bytes_per_row * n

        ep_stats = {k: v for k, v in (src_stats[ref.src][ref.old] or {}).items() if k in features}
        for key in [*REINDEXED_KEYS, *add, *recompute]:
            spec = features[key]
            if spec.is_visual or spec.dtype in ("string", "language"):
                continue
            values = (
                new_values[key]
                if key in new_values
                else tabular.column_values(out_table, key).reshape(n, *spec.shape)
            )
            ep_stats[key] = stats_io.vector_stats(values)
        all_stats.append(ep_stats)
        src_row = meta.episode(ref.old)
        rows.append(
            {
                "episode_index": ref.new,
                "tasks": list(src_row["tasks"]),
                "length": n,
                "data/chunk_index": loc[0],
                "data/file_index": loc[1],
                "dataset_from_index": next_index,
                "dataset_to_index": next_index + n,
            }
        )
        next_index += n
        bar.update(1)
    if pending:
        flush()
    return rows, all_stats, tasks


def _write_videos(
    sources: Sequence[Source],
    refs: list[_Ref],
    root: Path,
    info: DatasetInfo,
    key: str,
    rows: list[dict[str, Any]],
    report: RebuildReport,
    concatenate: bool,
    bar: Any,
) -> None:
    from lr_dataset.tools.video_segments import Segment, build_file, stream_signature

    # per source: the episodes' file location and span, and each file's episodes in file order
    chunk, file, start, end = [], [], [], []
    file_episodes: list[dict[tuple[int, int], list[int]]] = []
    file_duration: list[dict[tuple[int, int], float]] = []
    for s in sources:
        eps = s.meta.episodes
        chunk.append(eps.column(f"videos/{key}/chunk_index").astype(np.int64))
        file.append(eps.column(f"videos/{key}/file_index").astype(np.int64))
        start.append(eps.column(f"videos/{key}/from_timestamp").astype(np.float64))
        end.append(eps.column(f"videos/{key}/to_timestamp").astype(np.float64))
        groups: dict[tuple[int, int], list[int]] = {}
        for e in np.lexsort((start[-1], file[-1], chunk[-1])):
            groups.setdefault((int(chunk[-1][e]), int(file[-1][e])), []).append(int(e))
        file_episodes.append(groups)
        file_duration.append({loc: float(end[-1][eps_].max()) for loc, eps_ in groups.items()})

    def src_loc(ref: _Ref) -> tuple[int, int]:
        return int(chunk[ref.src][ref.old]), int(file[ref.src][ref.old])

    def span(ref: _Ref) -> tuple[float, float]:
        return float(start[ref.src][ref.old]), float(end[ref.src][ref.old])

    def src_path(ref: _Ref) -> Path:
        meta = sources[ref.src].meta
        c, f = src_loc(ref)
        return meta.root / str(meta.video_path).format(video_key=key, chunk_index=c, file_index=f)

    def out_path(loc: tuple[int, int]) -> Path:
        return root / str(info.video_path).format(
            video_key=key, chunk_index=loc[0], file_index=loc[1]
        )

    encoder = VideoEncoderConfig.from_info(info.features[key].info)
    limit = info.video_files_size_in_mb * 1024**2
    loc: tuple[int, int] | None = None
    batch: list[_Ref] = []
    batch_bytes = 0.0
    batch_signature: tuple[Any, ...] | None = None
    signatures: dict[Path, tuple[Any, ...]] = {}

    def signature(path: Path) -> tuple[Any, ...]:
        if path not in signatures:
            signatures[path] = stream_signature(path)
        return signatures[path]

    def next_loc() -> tuple[int, int]:
        nonlocal loc
        loc = (0, 0) if loc is None else layout.next_file(*loc, info.chunks_size)
        return loc

    def flush_batch() -> None:
        nonlocal batch, batch_bytes, batch_signature
        if not batch:
            return
        dest = out_path(next_loc())
        segments = [Segment(src_path(ref), *span(ref)) for ref in batch]
        spans, reencoded = build_file(segments, dest, info.fps, encoder)
        (report.reencoded_videos if reencoded else report.remuxed_videos).append(
            str(dest.relative_to(root))
        )
        for ref, (a, b) in zip(batch, spans):
            rows[ref.new].update(_video_columns(key, loc, a, b))
        batch, batch_bytes, batch_signature = [], 0.0, None

    i = 0
    while i < len(refs):
        ref = refs[i]
        where = src_loc(ref)
        whole = file_episodes[ref.src][where]
        run = refs[i : i + len(whole)]
        whole_file = [r.old for r in run] == whole and all(r.src == ref.src for r in run)
        if whole_file and not concatenate:
            # every episode of this file, in file order: copy the file as it is
            flush_batch()
            dest = out_path(next_loc())
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src_path(ref), dest)
            report.copied_videos.append(str(dest.relative_to(root)))
            for r in run:
                rows[r.new].update(_video_columns(key, loc, *span(r)))
            i += len(whole)
            bar.update(len(run))
            continue
        a, b = span(ref)
        path = src_path(ref)
        share = (b - a) / max(file_duration[ref.src][where], 1e-9)
        size = path.stat().st_size * share
        # packets can share one output stream only if their streams are alike
        if batch and (batch_bytes + size >= limit or signature(path) != batch_signature):
            flush_batch()
        batch_signature = signature(path)
        batch.append(ref)
        batch_bytes += size
        i += 1
        bar.update(1)
    flush_batch()


def _video_columns(key: str, loc: tuple[int, int] | None, start: float, end: float) -> dict:
    assert loc is not None
    return {
        f"videos/{key}/chunk_index": loc[0],
        f"videos/{key}/file_index": loc[1],
        f"videos/{key}/from_timestamp": float(start),
        f"videos/{key}/to_timestamp": float(end),
    }


def _write_metadata(
    root: Path,
    info: DatasetInfo,
    rows: list[dict[str, Any]],
    per_episode_stats: list[dict[str, dict[str, np.ndarray]]],
    tasks: TaskTable,
) -> None:
    tasks_io.save(tasks, root)
    full_rows = [
        {**row, **episodes_io.stats_columns(stats)} for row, stats in zip(rows, per_episode_stats)
    ]
    write_episode_rows(full_rows, root, info)
    stats = stats_io.aggregate(per_episode_stats)
    if stats:
        stats_io.save(stats, root)
    info.total_episodes = len(rows)
    info.total_frames = int(rows[-1]["dataset_to_index"]) if rows else 0
    info.total_tasks = len(tasks)
    info.splits = {"train": f"0:{len(rows)}"}
    info.save(root)


def write_episode_rows(rows: list[dict[str, Any]], root: Path, info: DatasetInfo) -> None:
    """Write all episode rows into ``meta/episodes`` files of at most ``data_files_size_in_mb``.

    Sets each row's ``meta/episodes/{chunk,file}_index``.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    def size_of(part: list[dict[str, Any]]) -> int:
        buffer = io.BytesIO()
        pq.write_table(pa.Table.from_pylist(part), buffer, compression="snappy")
        return buffer.tell()

    limit = info.data_files_size_in_mb * 1024**2
    parts = 1
    if rows and size_of(rows) >= limit:
        parts = int(np.ceil(size_of(rows) / (limit * 0.9)))
    per_part = int(np.ceil(len(rows) / parts)) if rows else 0
    loc = (0, 0)
    for start in range(0, len(rows), max(per_part, 1)):
        part = rows[start : start + per_part]
        for row in part:
            row["meta/episodes/chunk_index"] = loc[0]
            row["meta/episodes/file_index"] = loc[1]
        episodes_io.write_file(part, layout.episodes_path(root, *loc))
        loc = layout.next_file(*loc, info.chunks_size)
