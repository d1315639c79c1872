"""Bringing a dataset whose writer was killed back to a consistent state.

After a crash (see :mod:`lr_dataset.writer` for the commit order) a dataset may hold rows or
whole files that no episode references, leftover temporary files, and ``info.json`` /
``stats.json`` one episode behind the episodes table. :func:`repair` removes the orphans and
rewrites the counters and stats; every saved episode is kept. ``LeRobotDataset.resume`` calls it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from lr_dataset import layout
from lr_dataset import stats as stats_io
from lr_dataset.consistency import check_rows
from lr_dataset.errors import DatasetFormatError
from lr_dataset.metadata import LeRobotDatasetMetadata
from lr_dataset.parquet_io import write_tables
from lr_dataset.staging import RAW_FRAMES_SUFFIX, RECORDING_DIR, clear_recording_dir

logger = logging.getLogger(__name__)


@dataclass
class RepairReport:
    """What :func:`repair` changed."""

    removed_files: list[Path] = field(default_factory=list)
    truncated_files: list[Path] = field(default_factory=list)
    rewrote_metadata: bool = False

    @property
    def changed(self) -> bool:
        """True when anything on disk was modified."""
        return bool(self.removed_files or self.truncated_files or self.rewrote_metadata)


def repair(root: Path, repo_id: str = "local/dataset") -> RepairReport:
    """Remove what no saved episode references and re-derive counters and stats."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    report = RepairReport()
    meta = LeRobotDatasetMetadata(repo_id, root=root)
    staging = root / RECORDING_DIR
    report.removed_files += clear_recording_dir(staging)  # raw frames (*.rgb24) are kept
    for kept in sorted(staging.glob(f"*{RAW_FRAMES_SUFFIX}")):
        logger.warning("%s: raw frames of an unsaved episode, kept", kept)
    for tmp in list(root.rglob(".*.tmp")):
        tmp.unlink(missing_ok=True)
        report.removed_files.append(tmp)

    expected_rows: dict[Path, int] = {}
    episodes_of: dict[Path, list[int]] = {}
    referenced_videos: set[Path] = set()
    episodes = meta.episodes
    if episodes is not None:
        chunks = episodes.column("data/chunk_index")
        files = episodes.column("data/file_index")
        lengths = episodes.column("length")
        for ep, (c, f, n) in enumerate(zip(chunks, files, lengths)):
            path = root / meta.data_path.format(chunk_index=int(c), file_index=int(f))
            expected_rows[path] = expected_rows.get(path, 0) + int(n)
            episodes_of.setdefault(path, []).append(ep)
        for key in meta.video_keys:
            vc = episodes.column(f"videos/{key}/chunk_index")
            vf = episodes.column(f"videos/{key}/file_index")
            for c, f in set(zip(vc.tolist(), vf.tolist())):
                referenced_videos.add(
                    root / str(meta.video_path).format(video_key=key, chunk_index=c, file_index=f)
                )

    for path in sorted((root / layout.DATA_DIR).glob("chunk-*/file-*.parquet")):
        if path not in expected_rows:
            path.unlink()
            report.removed_files.append(path)
            continue
        rows = pq.read_metadata(path).num_rows
        if rows > expected_rows[path]:
            table = pq.read_table(path)
            keep = table.filter(pc.field("index") < meta.total_frames)
            _check_kept(path, keep, episodes_of[path], meta)
            groups = _split_by_episode(keep)
            write_tables(groups, table.schema, path)
            report.truncated_files.append(path)
        elif rows < expected_rows[path]:
            raise DatasetFormatError(
                f"{path} holds {rows} rows but meta/episodes says {expected_rows[path]}: frames "
                f"of saved episodes are missing"
            )
    for path in sorted((root / layout.VIDEO_DIR).glob("*/chunk-*/file-*.mp4")):
        if path not in referenced_videos:
            path.unlink()
            report.removed_files.append(path)

    if meta.repaired:
        per_episode = meta.episode_stats()
        meta.stats = stats_io.aggregate(per_episode) if per_episode else None
        if meta.stats is not None:
            stats_io.save(meta.stats, root)
        elif (root / layout.STATS_PATH).exists():
            (root / layout.STATS_PATH).unlink()
        meta.info.save(root)
        report.rewrote_metadata = True
    if report.changed:
        logger.warning("%s: repaired after an interrupted write: %s", root, report)
    return report


def _check_kept(path: Path, table, episodes: list[int], meta: LeRobotDatasetMetadata) -> None:
    """The rows kept in a truncated data file are exactly its episodes' frames, in order: a
    repair never rewrites damaged rows into a file that then looks clean."""
    if table.num_rows != sum(int(meta.episode(e)["length"]) for e in episodes):
        raise DatasetFormatError(
            f"{path} holds {table.num_rows} rows of saved episodes {episodes}, which need "
            f"{sum(int(meta.episode(e)['length']) for e in episodes)}: the file is damaged"
        )
    offset = 0
    for ep in episodes:
        row = meta.episode(ep)
        n = int(row["length"])
        part = table.slice(offset, n)
        check_rows(
            path,
            ep,
            int(row["dataset_from_index"]),
            part.column("index").to_numpy(),
            part.column("episode_index").to_numpy(),
            part.column("frame_index").to_numpy(),
            n,
        )
        offset += n


def _split_by_episode(table):
    import itertools

    import numpy as np

    if table.num_rows == 0:
        return [table]
    ep = table.column("episode_index").to_numpy()
    starts = np.concatenate(([0], np.flatnonzero(np.diff(ep)) + 1, [len(ep)]))
    return [table.slice(int(a), int(b - a)) for a, b in itertools.pairwise(starts)]
