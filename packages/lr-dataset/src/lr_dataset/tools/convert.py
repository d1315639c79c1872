"""``convert_v21``: a LeRobot v2.1 dataset folder converted to v3.0, in a new folder.

v2.1 keeps one parquet and one MP4 (per camera) per episode and its metadata in JSON lines::

    meta/info.json  meta/episodes.jsonl  meta/tasks.jsonl  meta/episodes_stats.jsonl
    data/chunk-000/episode_000000.parquet
    videos/chunk-000/<video_key>/episode_000000.mp4

The conversion follows LeRobot's ``convert_dataset_v21_to_v30`` (0.6.1):

- episode parquets are concatenated in episode order into ``data/chunk-XXX/file-XXX.parquet``
  up to ``data_files_size_in_mb`` (one row group per episode; values untouched);
- each camera's episode MP4s are joined by stream copy into
  ``videos/<key>/chunk-XXX/file-XXX.mp4`` up to ``video_files_size_in_mb``, every episode's
  ``from/to_timestamp`` being its span in the joined file;
- ``meta/episodes`` rows are built from ``episodes.jsonl`` (tasks, length), the file locations
  and the per-episode stats (``stats/<feature>/<stat>`` columns); ``meta/stats.json`` is their
  aggregate; ``meta/tasks.parquet`` comes from ``tasks.jsonl``;
- the per-episode stats of numeric features are computed again from the episode's rows (in
  float64, with quantiles: v2.1 files have none, and their means and stds were computed in
  float32); camera stats are taken from ``episodes_stats.jsonl`` (decoding every frame would
  cost more than the whole conversion). LeRobot copies ``episodes_stats.jsonl`` as it is;
- ``info.json`` loses ``total_chunks`` / ``total_videos``, gains the size limits and the v3.0
  path templates, an int ``fps``, and ``fps`` on every non-video feature (as LeRobot writes it).

Unlike LeRobot's script, the source folder is only read (LeRobot renames it to ``<name>_old``).
"""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path
from typing import Any

from lr_dataset import episodes as episodes_io
from lr_dataset import layout, tabular
from lr_dataset import stats as stats_io
from lr_dataset import tasks as tasks_io
from lr_dataset.consistency import check_rows
from lr_dataset.errors import DatasetFormatError
from lr_dataset.info import DatasetInfo
from lr_dataset.metadata import LeRobotDatasetMetadata
from lr_dataset.parquet_io import write_tables
from lr_dataset.progress import progress
from lr_dataset.specs import check_features
from lr_dataset.staging import commit, new_partial_dir
from lr_dataset.tasks import TaskTable
from lr_dataset.tools.rebuild import write_episode_rows

logger = logging.getLogger(__name__)

V21 = "v2.1"
LEGACY_EPISODES_STATS_PATH = "meta/episodes_stats.jsonl"


def _jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        raise DatasetFormatError(f"{path} not found: a v2.1 dataset needs it")
    out = []
    for n, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise DatasetFormatError(f"{path}:{n}: not valid JSON: {exc}") from exc
    return out


def _prepare(root: Path, output: Path) -> tuple[dict[str, Any], Path]:
    path = Path(output).expanduser().resolve()
    src = root.resolve()
    if path == src or src in path.parents or path in src.parents:
        raise DatasetFormatError(f"output {path} overlaps the source {src}; choose a new folder")
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise DatasetFormatError(f"output {path} already exists and is not empty")
    info_path = root / layout.INFO_PATH
    try:
        info = json.loads(info_path.read_text())
    except FileNotFoundError as exc:
        raise DatasetFormatError(f"{info_path} not found: not a LeRobot dataset") from exc
    version = info.get("codebase_version")
    if version != V21:
        raise DatasetFormatError(
            f"{info_path}: codebase_version is {version!r}; convert_v21 converts 'v2.1' datasets"
        )
    return info, path


def convert_v21(
    root: str | Path,
    output: str | Path,
    *,
    data_files_size_in_mb: float | None = None,
    video_files_size_in_mb: float | None = None,
    repo_id: str | None = None,
) -> LeRobotDatasetMetadata:
    """Convert the v2.1 dataset at ``root`` into a new v3.0 dataset at ``output``.

    Returns the new dataset's metadata. Raises :class:`DatasetFormatError` naming the file
    when the source is not a consistent v2.1 dataset.
    """
    root = Path(root).expanduser()
    old_info, target = _prepare(root, Path(output))
    data_mb = float(data_files_size_in_mb or layout.DEFAULT_DATA_FILE_SIZE_IN_MB)
    video_mb = float(video_files_size_in_mb or layout.DEFAULT_VIDEO_FILE_SIZE_IN_MB)

    episodes = sorted(_jsonl(root / layout.LEGACY_EPISODES_PATH), key=lambda e: e["episode_index"])
    tasks_rows = sorted(_jsonl(root / layout.LEGACY_TASKS_PATH), key=lambda t: t["task_index"])
    stats_rows = {
        int(r["episode_index"]): stats_io.from_json(r["stats"])
        for r in _jsonl(root / LEGACY_EPISODES_STATS_PATH)
    }
    indices = [int(e["episode_index"]) for e in episodes]
    if indices != list(range(len(indices))):
        raise DatasetFormatError(
            f"{root / layout.LEGACY_EPISODES_PATH}: episode_index values must be 0..N-1, got "
            f"{indices[:10]}{'...' if len(indices) > 10 else ''}"
        )
    missing = [i for i in indices if i not in stats_rows]
    if missing:
        raise DatasetFormatError(
            f"{root / LEGACY_EPISODES_STATS_PATH}: no stats for episodes {missing[:10]}"
        )
    for position, row in enumerate(tasks_rows):
        if int(row["task_index"]) != position:
            raise DatasetFormatError(
                f"{root / layout.LEGACY_TASKS_PATH}: task_index values must be 0..T-1"
            )

    info = _convert_info(old_info, data_mb, video_mb)
    chunks_size = int(old_info.get("chunks_size", layout.DEFAULT_CHUNK_SIZE))
    staging = new_partial_dir(target)
    try:
        tasks_io.save(TaskTable(r["task"] for r in tasks_rows), staging)
        rows, numeric_stats = _convert_data(root, staging, old_info, episodes, info, chunks_size)
        for key in info.video_keys:
            _convert_videos(root, staging, old_info, key, episodes, info, rows, chunks_size)
        per_episode = [{**stats_rows[i], **numeric_stats[i]} for i in indices]
        full = [
            {**row, **episodes_io.stats_columns(stats)} for row, stats in zip(rows, per_episode)
        ]
        write_episode_rows(full, staging, info)
        stats_io.save(stats_io.aggregate(per_episode), staging)
        info.total_episodes = len(rows)
        info.total_frames = int(rows[-1]["dataset_to_index"]) if rows else 0
        info.total_tasks = len(tasks_rows)
        info.splits = {"train": f"0:{len(rows)}"}
        info.save(staging)
        commit(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return LeRobotDatasetMetadata(repo_id or f"local/{target.name}", root=target)


def _convert_info(old: dict[str, Any], data_mb: float, video_mb: float) -> DatasetInfo:
    info = dict(old)
    info["codebase_version"] = layout.CODEBASE_VERSION
    info.pop("total_chunks", None)
    info.pop("total_videos", None)
    info["data_files_size_in_mb"] = data_mb
    info["video_files_size_in_mb"] = video_mb
    info["data_path"] = layout.DATA_PATH
    info["video_path"] = layout.VIDEO_PATH if old.get("video_path") is not None else None
    info["fps"] = int(old["fps"])
    info["features"] = {
        key: feature if feature["dtype"] == "video" else {**feature, "fps": info["fps"]}
        for key, feature in old["features"].items()
    }
    converted = DatasetInfo.from_json(info, source="converted info.json")
    check_features(converted.features)  # what lr could not read back or add episodes to
    return converted


def _legacy_path(template: str, episode: int, chunks_size: int, **extra: Any) -> str:
    return template.format(episode_chunk=episode // chunks_size, episode_index=episode, **extra)


def _convert_data(
    root: Path,
    out: Path,
    old_info: dict[str, Any],
    episodes: list[dict[str, Any]],
    info: DatasetInfo,
    chunks_size: int,
) -> tuple[list[dict[str, Any]], list[dict[str, dict[str, Any]]]]:
    """Concatenate the episode parquets; return the episode rows and each episode's numeric
    stats, computed from its rows."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    template = old_info.get("data_path", "")
    limit = info.data_files_size_in_mb * 1024**2
    loc = (0, 0)
    pending: list[Any] = []
    pending_bytes = 0
    schema = None
    frames = 0
    rows: list[dict[str, Any]] = []
    all_stats: list[dict[str, dict[str, Any]]] = []
    numeric = [
        k
        for k, f in info.features.items()
        if not f.is_visual and f.dtype not in ("string", "language")
    ]

    def flush() -> None:
        path = out / info.data_path.format(chunk_index=loc[0], file_index=loc[1])
        write_tables(pending, schema, path)

    with progress(len(episodes), "convert: data") as bar:
        for ep in episodes:
            index = int(ep["episode_index"])
            path = root / _legacy_path(template, index, chunks_size)
            try:
                table = pq.read_table(path)
            except FileNotFoundError as exc:
                raise DatasetFormatError(
                    f"{path} not found (episode {index} of episodes.jsonl)"
                ) from exc
            except (OSError, pa.ArrowInvalid) as exc:
                raise DatasetFormatError(f"{path}: cannot read: {exc}") from exc
            if table.num_rows != int(ep["length"]):
                raise DatasetFormatError(
                    f"{path}: {table.num_rows} rows but episodes.jsonl says length {ep['length']}"
                )
            size = path.stat().st_size
            if pending and pending_bytes + size >= limit:
                flush()
                loc = layout.next_file(*loc, chunks_size)
                pending, pending_bytes = [], 0
            if schema is None:
                schema = table.schema
            else:
                table = table.cast(schema)
            # the rows are this episode's frames, in order, with a contiguous global index
            check_rows(
                path,
                index,
                frames,
                table.column("index").to_numpy(),
                table.column("episode_index").to_numpy(),
                table.column("frame_index").to_numpy(),
                int(ep["length"]),
            )
            pending.append(table)
            pending_bytes += size
            rows.append(
                {
                    "episode_index": index,
                    "tasks": list(ep.get("tasks", [])),
                    "length": int(ep["length"]),
                    "data/chunk_index": loc[0],
                    "data/file_index": loc[1],
                    "dataset_from_index": frames,
                    "dataset_to_index": frames + table.num_rows,
                }
            )
            frames += table.num_rows
            all_stats.append(
                {
                    key: stats_io.vector_stats(tabular.column_values(table, key))
                    for key in numeric
                    if key in table.column_names
                }
            )
            bar.update(1)
    if pending:
        flush()
    return rows, all_stats


def _convert_videos(
    root: Path,
    out: Path,
    old_info: dict[str, Any],
    key: str,
    episodes: list[dict[str, Any]],
    info: DatasetInfo,
    rows: list[dict[str, Any]],
    chunks_size: int,
) -> None:
    from lr_dataset.tools.video_segments import Segment, join_segments
    from lr_dataset.video.files import duration_s

    template = old_info.get("video_path") or ""
    limit = info.video_files_size_in_mb * 1024**2
    loc = (0, 0)
    batch: list[tuple[int, Segment]] = []
    batch_bytes = 0

    def flush() -> None:
        dest = out / str(info.video_path).format(
            video_key=key, chunk_index=loc[0], file_index=loc[1]
        )
        spans = join_segments([s for _, s in batch], dest, info.fps)
        for (ep, _), (start, end) in zip(batch, spans):
            rows[ep].update(
                {
                    f"videos/{key}/chunk_index": loc[0],
                    f"videos/{key}/file_index": loc[1],
                    f"videos/{key}/from_timestamp": float(start),
                    f"videos/{key}/to_timestamp": float(end),
                }
            )

    with progress(len(episodes), f"convert: {key}") as bar:
        for ep in episodes:
            index = int(ep["episode_index"])
            path = root / _legacy_path(template, index, chunks_size, video_key=key)
            if not path.exists():
                raise DatasetFormatError(f"{path} not found (camera {key!r}, episode {index})")
            size = path.stat().st_size
            if batch and batch_bytes + size >= limit:
                flush()
                loc = layout.next_file(*loc, chunks_size)
                batch, batch_bytes = [], 0
            batch.append((index, Segment(path, 0.0, duration_s(path))))
            batch_bytes += size
            bar.update(1)
    if batch:
        flush()


__all__ = ["convert_v21"]
