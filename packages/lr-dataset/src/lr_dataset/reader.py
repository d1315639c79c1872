"""Random access to frames: memory-mapped parquet columns, video decoding, delta windows.

The data parquet files are opened with pyarrow memory maps; numeric columns become numpy arrays
once, image and string columns stay arrow buffers and are decoded per item. Items are plain
numpy (``float32 (C, H, W)`` images in [0, 1]); the torch flavour converts them to tensors.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from lr_core.errors import ConfigError
from lr_dataset import tabular
from lr_dataset.consistency import check_selection
from lr_dataset.errors import DatasetFormatError, FrameTimestampError
from lr_dataset.metadata import LeRobotDatasetMetadata
from lr_dataset.timestamps import frame_times
from lr_dataset.video.decode import VideoDecoder


def check_delta_timestamps(
    delta_timestamps: Mapping[str, Sequence[float]],
    fps: int,
    tolerance_s: float,
    features: Mapping[str, Any],
) -> dict[str, np.ndarray]:
    """Frame offsets ``round(d * fps)`` per key; each ``d`` must be a multiple of 1/fps."""
    out: dict[str, np.ndarray] = {}
    for key, deltas in delta_timestamps.items():
        if key not in features:
            raise ConfigError(
                f"delta_timestamps key {key!r} is not a feature of the dataset; "
                f"features: {sorted(features)}"
            )
        bad = [d for d in deltas if abs(d * fps - round(d * fps)) / fps > tolerance_s]
        if bad:
            raise ConfigError(
                f"delta_timestamps[{key!r}] = {bad} are not multiples of 1/{fps} s "
                f"(± tolerance_s={tolerance_s})"
            )
        if len(deltas) == 0:
            raise ConfigError(f"delta_timestamps[{key!r}] is empty")
        out[key] = np.array([round(d * fps) for d in deltas], dtype=np.int64)
    return out


def frames_to_unit_float(frames: np.ndarray) -> np.ndarray:
    """uint8 frames -> a new float32 array in [0, 1]: each value cast to float32 and divided by
    255 in float32, bit-identical to LeRobot's ``tensor.float() / 255``."""
    out = np.empty(frames.shape, dtype=np.float32)
    np.divide(frames, np.float32(255), out=out)
    return out


def decode_video_frames(
    decoder: VideoDecoder,
    path: Any,
    from_timestamp: float,
    timestamps: np.ndarray,
    frame_index: np.ndarray,
    fps: int,
    tolerance_s: float,
    *,
    key: str,
    episode: int,
) -> np.ndarray:
    """uint8 ``(len(timestamps), 3, H, W)`` frames of camera ``key`` of ``episode``: the frames of
    the rows with these stored ``timestamp`` / ``frame_index`` values, at ``from_timestamp``
    plus their exact times (:func:`lr_dataset.timestamps.frame_times`, not the float32 column)
    in the MP4 at ``path``. Raises :class:`FrameTimestampError` naming the episode and times."""
    local, slack = frame_times(timestamps, frame_index, fps)
    query = [float(from_timestamp) + float(t) for t in local]
    try:
        return decoder.decode(
            path,
            query,
            tolerance_s + float(slack.max()),
            what=f"video {key!r} of episode {episode}",
            channels_first=True,
        )
    except FrameTimestampError as exc:
        raise FrameTimestampError(
            f"{exc} (episode {episode}, frame timestamps {[float(t) for t in local]} s, "
            f"episode starts at {float(from_timestamp)} s in the file)"
        ) from exc


class DatasetReader:
    """Frame access for the selected ``episodes`` of a dataset (all when ``None``)."""

    def __init__(
        self,
        meta: LeRobotDatasetMetadata,
        *,
        episodes: Sequence[int] | None = None,
        delta_timestamps: Mapping[str, Sequence[float]] | None = None,
        tolerance_s: float = 1e-4,
        return_uint8: bool = False,
    ) -> None:
        self.meta = meta
        self.tolerance_s = tolerance_s
        self.return_uint8 = return_uint8
        self.delta_indices = (
            check_delta_timestamps(delta_timestamps, meta.fps, tolerance_s, meta.features)
            if delta_timestamps
            else None
        )
        if meta.episodes is None or meta.total_episodes == 0:
            raise DatasetFormatError(f"{meta.root}: the dataset has no saved episodes")
        eps = meta.episodes
        n_eps = len(eps)
        if episodes is None:
            selected = np.arange(n_eps)
        else:
            selected = np.asarray(sorted(set(int(e) for e in episodes)), dtype=np.int64)
            bad = [int(e) for e in selected if not 0 <= e < n_eps]
            if bad:
                raise IndexError(f"episodes {bad} do not exist (the dataset has {n_eps})")
        self.episodes = None if episodes is None else selected.tolist()
        self._ep_from = eps.column("dataset_from_index").astype(np.int64)
        self._ep_to = eps.column("dataset_to_index").astype(np.int64)
        self._video_from = {
            k: eps.column(f"videos/{k}/from_timestamp").astype(np.float64) for k in meta.video_keys
        }
        self._video_loc = {
            k: (
                eps.column(f"videos/{k}/chunk_index").astype(np.int64),
                eps.column(f"videos/{k}/file_index").astype(np.int64),
            )
            for k in meta.video_keys
        }
        self._selected = selected
        self._load_tables(selected)
        self._abs = np.concatenate(
            [np.arange(self._ep_from[e], self._ep_to[e], dtype=np.int64) for e in selected]
        )
        self._decoder = VideoDecoder()

    # ------------------------------------------------------------------ pickling
    _TABLE_STATE = ("_arrays", "_arrow", "_row_of_abs", "_abs_lo", "_chunk_offsets")

    def __getstate__(self) -> dict[str, Any]:
        # DataLoader workers started with "spawn" re-open the memory maps instead of receiving
        # a pickled copy of every column
        return {k: v for k, v in self.__dict__.items() if k not in self._TABLE_STATE}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._load_tables(self._selected)

    # ------------------------------------------------------------------ loading
    def _load_tables(self, selected: np.ndarray) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        meta = self.meta
        eps = meta.episodes
        chunks = eps.column("data/chunk_index")[selected]
        files = eps.column("data/file_index")[selected]
        paths = sorted({(int(c), int(f)) for c, f in zip(chunks, files)})
        wanted = tabular.parquet_columns(meta.features)
        tables = []
        files_read = []
        for c, f in paths:
            path = meta.root / meta.data_path.format(chunk_index=c, file_index=f)
            files_read.append(path)
            try:
                names = pq.read_schema(path).names
                missing = [k for k in wanted if k not in names]
                if missing:
                    raise DatasetFormatError(f"{path}: columns {missing} are missing")
                tables.append(pq.read_table(path, columns=wanted, memory_map=True))
            except (OSError, pa.ArrowInvalid) as exc:
                raise DatasetFormatError(f"{path}: cannot read data file: {exc}") from exc
        table = pa.concat_tables(tables) if len(tables) > 1 else tables[0]
        self._arrays: dict[str, np.ndarray] = {}
        self._arrow: dict[str, Any] = {}
        for key in wanted:
            spec = meta.features[key]
            column = table.column(key)
            if spec.dtype in ("image", "string"):
                self._arrow[key] = column
                continue
            if spec.dtype == "language":
                continue
            self._arrays[key] = tabular.column_to_numpy(column, spec)
        index = self._arrays["index"].astype(np.int64)
        # absolute frame index -> row in the concatenated table
        lo = int(index.min()) if len(index) else 0
        self._row_of_abs = np.full(int(index.max()) - lo + 1 if len(index) else 0, -1, np.int64)
        self._row_of_abs[index - lo] = np.arange(len(index))
        self._abs_lo = lo
        self._check_rows(selected, files_read, [t.num_rows for t in tables], index)
        self._chunk_offsets = {
            k: np.cumsum([0] + [len(ch) for ch in col.chunks]) for k, col in self._arrow.items()
        }

    def _check_rows(
        self, selected: np.ndarray, files: list[Any], counts: list[int], index: np.ndarray
    ) -> None:
        """The selected episodes' rows exist once each, with their own ``episode_index`` and
        ``frame_index`` (:mod:`lr_dataset.consistency`); errors name the episode and file."""
        meta = self.meta
        ends = np.cumsum(counts)

        def file_of(row: int | None, ep: int) -> Any:
            if row is None:
                return meta.root / meta.get_data_file_path(ep)
            return files[int(np.searchsorted(ends, row, side="right"))]

        starts, stops = self._ep_from[selected], self._ep_to[selected]
        wanted = np.concatenate([np.arange(a, b, dtype=np.int64) for a, b in zip(starts, stops)])
        inside = (wanted >= self._abs_lo) & (wanted < self._abs_lo + len(self._row_of_abs))
        rows = np.full(len(wanted), -1, np.int64)
        rows[inside] = self._row_of_abs[wanted[inside] - self._abs_lo]
        seen = np.bincount(index - self._abs_lo, minlength=len(self._row_of_abs))
        twice = np.flatnonzero(seen[wanted[inside] - self._abs_lo] > 1)
        if len(twice):
            value = int(wanted[inside][twice[0]])
            where = [
                str(files[int(np.searchsorted(ends, r, side="right"))])
                for r in np.flatnonzero(index == value)
            ]
            raise DatasetFormatError(
                f"index {value} appears in {len(where)} data rows ({', '.join(where)}); each "
                f"frame must be stored once"
            )
        check_selection(
            selected,
            starts,
            stops,
            rows,
            self._arrays["episode_index"],
            self._arrays["frame_index"],
            file_of,
        )

    # ------------------------------------------------------------------ access
    def __len__(self) -> int:
        return len(self._abs)

    @property
    def num_frames(self) -> int:
        """Frames in the selected episodes."""
        return len(self._abs)

    @property
    def num_episodes(self) -> int:
        """Number of selected episodes."""
        return len(self.episodes) if self.episodes is not None else self.meta.total_episodes

    def _rows(self, abs_idx: np.ndarray) -> np.ndarray:
        rows = self._row_of_abs[abs_idx - self._abs_lo]
        if (rows < 0).any():
            raise DatasetFormatError(
                f"{self.meta.root}: frames {abs_idx[rows < 0].tolist()} are listed in "
                f"meta/episodes but missing from the data files"
            )
        return rows

    def column(self, key: str, episode_index: int | None = None) -> np.ndarray:
        """A numeric column over the selected frames (or one episode's), in frame order."""
        if key not in self._arrays:
            raise KeyError(
                f"{key!r} is not a numeric parquet column; columns: {sorted(self._arrays)}"
            )
        if episode_index is None:
            abs_idx = self._abs
        else:
            if self.episodes is not None and episode_index not in self.episodes:
                raise IndexError(f"episode {episode_index} is not among the selected episodes")
            abs_idx = np.arange(self._ep_from[episode_index], self._ep_to[episode_index])
        return self._arrays[key][self._rows(abs_idx)]

    def _arrow_value(self, key: str, row: int) -> Any:
        offsets = self._chunk_offsets[key]
        chunk = int(np.searchsorted(offsets, row, side="right")) - 1
        return self._arrow[key].chunks[chunk][row - int(offsets[chunk])].as_py()

    def _image(self, key: str, row: int) -> np.ndarray:
        value = self._arrow_value(key, row)
        data = value["bytes"] if isinstance(value, dict) else value
        if data is None and isinstance(value, dict) and value.get("path"):
            with open(self.meta.root / value["path"], "rb") as handle:
                data = handle.read()
        return tabular.decode_png(data)

    def _to_chw(self, frames_hwc: np.ndarray) -> np.ndarray:
        return self._to_float(np.ascontiguousarray(np.moveaxis(frames_hwc, -1, -3)))

    def _to_float(self, chw: np.ndarray) -> np.ndarray:
        """uint8 -> float32 in [0, 1] unless ``return_uint8``."""
        return chw if self.return_uint8 else frames_to_unit_float(chw)

    def video_path(self, key: str, episode_index: int) -> Any:
        """Absolute path of the MP4 holding ``key`` for ``episode_index``."""
        chunks, files = self._video_loc[key]
        return self.meta.root / str(self.meta.video_path).format(
            video_key=key,
            chunk_index=int(chunks[episode_index]),
            file_index=int(files[episode_index]),
        )

    def get_item(self, idx: int) -> dict[str, Any]:
        """Frame ``idx`` of the selection as a dict of numpy arrays plus ``task``."""
        n = len(self._abs)
        if idx < 0:
            idx += n
        if not 0 <= idx < n:
            raise IndexError(f"index {idx} out of range for a dataset of {n} frames")
        meta = self.meta
        abs_idx = int(self._abs[idx])
        row = int(self._rows(np.array([abs_idx]))[0])
        ep = int(self._arrays["episode_index"][row])
        item: dict[str, Any] = {}
        for key, arr in self._arrays.items():
            item[key] = arr[row]
        query_rows: dict[str, np.ndarray] = {}
        if self.delta_indices is not None:
            start, stop = int(self._ep_from[ep]), int(self._ep_to[ep])
            for key, deltas in self.delta_indices.items():
                wanted = abs_idx + deltas
                clamped = np.clip(wanted, start, stop - 1)
                item[f"{key}_is_pad"] = (wanted < start) | (wanted >= stop)
                rows = self._rows(clamped)
                query_rows[key] = rows
                if key in self._arrays:
                    item[key] = self._arrays[key][rows]
        for key in meta.image_keys:
            if key in query_rows:
                frames = np.stack([self._image(key, int(r)) for r in query_rows[key]])
                item[key] = self._to_chw(frames)
            else:
                item[key] = self._to_chw(self._image(key, row))
        if meta.video_keys:
            timestamps, frame_index = self._arrays["timestamp"], self._arrays["frame_index"]
            for key in meta.video_keys:
                rows = query_rows.get(key)
                rows = rows if rows is not None else np.array([row])
                frames = decode_video_frames(
                    self._decoder,
                    self.video_path(key, ep),
                    float(self._video_from[key][ep]),
                    timestamps[rows],
                    frame_index[rows],
                    meta.fps,
                    self.tolerance_s,
                    key=key,
                    episode=ep,
                )
                chw = self._to_float(frames)
                item[key] = chw[0] if len(rows) == 1 else chw
        for key in self._arrow:
            if meta.features[key].dtype == "string":
                item[key] = self._arrow_value(key, row)
        item["task"] = meta.tasks[int(self._arrays["task_index"][row])]
        return item
