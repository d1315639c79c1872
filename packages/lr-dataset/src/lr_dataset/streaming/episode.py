"""One resident episode: its tabular rows in RAM, where its videos are, and the samples built
from them - the same values the map-style reader (:mod:`lr_dataset.reader`) returns.

A sample of frame ``k`` of an episode of ``L`` frames holds every parquet column at ``k``; with
``delta_timestamps`` each listed key holds the rows ``clip(k + d, 0, L - 1)`` for its frame
offsets ``d`` and ``<key>_is_pad`` marks the offsets outside the episode (the edge frame is
repeated). Video frames are decoded on demand from the episode's own MP4 at its own
``from_timestamp`` plus the rows' exact frame times (never a global index, so rollover into
several files cannot misread). Images are decoded from the rows' PNG bytes.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from lr_dataset import tabular
from lr_dataset.errors import DatasetFormatError
from lr_dataset.metadata import LeRobotDatasetMetadata
from lr_dataset.reader import decode_video_frames, frames_to_unit_float
from lr_dataset.streaming.ranges import parquet_row_groups
from lr_dataset.video.decode import VideoDecoder


@dataclass
class EpisodeData:
    """An episode's rows (frame order) and its videos: ``{key: (mp4 path, from_timestamp)}``."""

    episode: int
    length: int
    arrays: dict[str, np.ndarray]
    arrow: dict[str, Any]
    videos: dict[str, tuple[Path, float]] = field(default_factory=dict)

    @property
    def nbytes(self) -> int:
        """RAM taken by the rows."""
        return sum(a.nbytes for a in self.arrays.values()) + sum(
            a.nbytes for a in self.arrow.values()
        )


def read_rows(
    path: Path,
    first: int,
    stop: int,
    meta: LeRobotDatasetMetadata,
    *,
    what: str,
) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """The rows of frames ``[first, stop)`` (``index`` column) from the data parquet at
    ``path``, reading only the row groups that hold them: ``(numeric columns as numpy,
    image/string columns as arrow arrays)``, converted as the map-style reader converts them.
    ``what`` names the file in errors."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    wanted = tabular.parquet_columns(meta.features)
    try:
        parquet = pq.ParquetFile(path)
        missing = [k for k in wanted if k not in parquet.schema_arrow.names]
        if missing:
            raise DatasetFormatError(f"{what}: columns {missing} are missing")
        groups, _ = parquet_row_groups(parquet, first, stop)
        table = parquet.read_row_groups(groups, columns=wanted)
    except (OSError, pa.ArrowInvalid) as exc:
        raise DatasetFormatError(f"{what}: cannot read data file: {exc}") from exc
    index = table.column("index").to_numpy()
    rows = np.flatnonzero((index >= first) & (index < stop))
    rows = rows[np.argsort(index[rows], kind="stable")]
    if not np.array_equal(index[rows], np.arange(first, stop)):
        raise DatasetFormatError(
            f"{what}: frames {first}..{stop - 1} are listed in meta/episodes but the file holds "
            f"{len(rows)} of them"
        )
    table = _select_rows(table, rows)
    arrays: dict[str, np.ndarray] = {}
    arrow: dict[str, Any] = {}
    for key in wanted:
        spec = meta.features[key]
        column = table.column(key)
        if spec.dtype in ("image", "string"):
            arrow[key] = column.combine_chunks()
        elif spec.dtype != "language":
            arrays[key] = tabular.column_to_numpy(column, spec)
    return arrays, arrow


def _select_rows(table: Any, rows: np.ndarray) -> Any:
    """``table``'s rows ``rows`` in that order: a zero-copy slice when they are one ascending
    run (an episode's own row group, the layout LeRobot writes), else ``take``. The slice also
    spares a DataLoader worker's first load the import of ``numpy.ma`` that ``pa.array`` of a
    numpy array triggers (tens of ms of CPU on the way to the first batch)."""
    n = len(rows)
    if n == 0 or (int(rows[-1]) - int(rows[0]) == n - 1 and bool((np.diff(rows) == 1).all())):
        return table.slice(int(rows[0]) if n else 0, n)
    import pyarrow as pa

    return table.take(pa.array(rows))


class StreamDecoder(VideoDecoder):
    """The PyAV decoder of :mod:`lr_dataset.video`, able to close one file: a cached copy that
    grew (new ranges written) or was deleted must be reopened, not read through stale buffers."""

    def release(self, path: Path | str) -> None:
        """Close ``path`` if it is open."""
        container = self._open.pop(str(path), None)
        if container is not None:
            with contextlib.suppress(Exception):
                container.close()


class ItemBuilder:
    """Builds samples from :class:`EpisodeData` (see the module docstring)."""

    def __init__(
        self,
        meta: LeRobotDatasetMetadata,
        delta_indices: Mapping[str, np.ndarray] | None,
        *,
        tolerance_s: float,
        return_uint8: bool,
        decoder: VideoDecoder,
        image_root: Path | None = None,
    ) -> None:
        self.meta = meta
        self.delta_indices = dict(delta_indices) if delta_indices else None
        self.tolerance_s = tolerance_s
        self.return_uint8 = return_uint8
        self.decoder = decoder
        self.image_root = image_root

    def _to_float(self, chw: np.ndarray) -> np.ndarray:
        return chw if self.return_uint8 else frames_to_unit_float(chw)

    def _image(self, data: EpisodeData, key: str, row: int) -> np.ndarray:
        value = data.arrow[key][row].as_py()
        raw = value["bytes"] if isinstance(value, dict) else value
        if raw is None and isinstance(value, dict) and value.get("path"):
            if self.image_root is None:
                raise DatasetFormatError(
                    f"image {key!r} of episode {data.episode} frame {row} is stored as a path "
                    f"({value['path']}), which a remote stream cannot read"
                )
            raw = (self.image_root / value["path"]).read_bytes()
        if not isinstance(raw, bytes):
            raise DatasetFormatError(
                f"image {key!r} of episode {data.episode} frame {row} has neither bytes nor a path"
            )
        return tabular.decode_png(raw)

    def build(self, data: EpisodeData, offset: int) -> dict[str, Any]:
        """The sample of frame ``offset`` of ``data``'s episode, as numpy plus ``task``."""
        meta = self.meta
        length = data.length
        item: dict[str, Any] = {key: arr[offset] for key, arr in data.arrays.items()}
        query_rows: dict[str, np.ndarray] = {}
        if self.delta_indices is not None:
            for key, deltas in self.delta_indices.items():
                wanted = offset + deltas
                rows = np.clip(wanted, 0, length - 1)
                item[f"{key}_is_pad"] = (wanted < 0) | (wanted >= length)
                query_rows[key] = rows
                if key in data.arrays:
                    item[key] = data.arrays[key][rows]
        for key in meta.image_keys:
            if key in query_rows:
                frames = np.stack([self._image(data, key, int(r)) for r in query_rows[key]])
            else:
                frames = self._image(data, key, offset)
            item[key] = self._to_float(np.ascontiguousarray(np.moveaxis(frames, -1, -3)))
        if meta.video_keys:
            timestamps, frame_index = data.arrays["timestamp"], data.arrays["frame_index"]
            for key in meta.video_keys:
                rows = query_rows.get(key)
                rows = rows if rows is not None else np.array([offset])
                path, from_timestamp = data.videos[key]
                frames = decode_video_frames(
                    self.decoder,
                    path,
                    from_timestamp,
                    timestamps[rows],
                    frame_index[rows],
                    meta.fps,
                    self.tolerance_s,
                    key=key,
                    episode=data.episode,
                )
                chw = self._to_float(frames)
                item[key] = chw[0] if len(rows) == 1 else chw
        for key, column in data.arrow.items():
            if meta.features[key].dtype == "string":
                item[key] = column[offset].as_py()
        item["task"] = meta.tasks[int(data.arrays["task_index"][offset])]
        return item
