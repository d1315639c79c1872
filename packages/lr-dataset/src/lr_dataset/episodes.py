"""``meta/episodes/chunk-XXX/file-XXX.parquet``: one row per episode.

Columns (LeRobot v3.0): ``episode_index``, ``tasks`` (list of str), ``length``,
``data/chunk_index``, ``data/file_index``, ``dataset_from_index``, ``dataset_to_index``, per video
key ``videos/<key>/{chunk_index,file_index,from_timestamp,to_timestamp}``, per feature
``stats/<key>/<stat>``, and ``meta/episodes/{chunk_index,file_index}`` (where the row lives).
Rows must be episodes ``0..N-1`` in order: readers address them by position.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from lr_core.fileio import atomic_write_bytes
from lr_dataset import layout
from lr_dataset.errors import DatasetFormatError

STATS_PREFIX = "stats/"


class EpisodeTable:
    """Episode rows without their ``stats/*`` columns, backed by a pyarrow table.

    ``table[i]`` is row ``i`` as a dict, ``table["length"]`` a column as a list, and
    :meth:`column` a numpy array (cached).
    """

    def __init__(self, table: Any) -> None:
        self.table = table
        self._columns: dict[str, np.ndarray] = {}

    @classmethod
    def from_rows(cls, rows: Sequence[Mapping[str, Any]]) -> EpisodeTable:
        """Build from row dicts (``stats/*`` keys are dropped)."""
        import pyarrow as pa

        clean = [{k: v for k, v in r.items() if not k.startswith(STATS_PREFIX)} for r in rows]
        return cls(pa.Table.from_pylist(clean))

    def __len__(self) -> int:
        return self.table.num_rows

    def __getitem__(self, key: int | str) -> Any:
        if isinstance(key, str):
            return self.table.column(key).to_pylist()
        n = len(self)
        index = int(key)
        if index < 0:
            index += n
        if not 0 <= index < n:
            raise IndexError(f"episode row {key} out of range (the dataset has {n} episodes)")
        return {name: self.table.column(name)[index].as_py() for name in self.table.column_names}

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for i in range(len(self)):
            yield self[i]

    @property
    def column_names(self) -> list[str]:
        """Column names."""
        return list(self.table.column_names)

    def column(self, name: str) -> np.ndarray:
        """A numeric column as a numpy array (cached)."""
        if name not in self._columns:
            self._columns[name] = self.table.column(name).to_numpy()
        return self._columns[name]

    def __repr__(self) -> str:
        return f"EpisodeTable({len(self)} episodes, columns={self.column_names})"


def episode_files(root: Path) -> list[Path]:
    """The episodes parquet files in order (``chunk-*/file-*.parquet``)."""
    return sorted((root / layout.EPISODES_DIR).glob("chunk-*/file-*.parquet"))


def _read(root: Path, *, with_stats: bool) -> Any:
    import pyarrow as pa
    import pyarrow.parquet as pq

    tables = []
    for path in episode_files(root):
        try:
            schema = pq.read_schema(path)
            names = [n for n in schema.names if with_stats or not n.startswith(STATS_PREFIX)]
            tables.append(pq.read_table(path, columns=names, memory_map=True))
        except (OSError, pa.ArrowInvalid) as exc:
            raise DatasetFormatError(f"{path}: cannot read episodes metadata: {exc}") from exc
    if not tables:
        return None
    table = (
        tables[0] if len(tables) == 1 else pa.concat_tables(tables, promote_options="permissive")
    )
    if "episode_index" not in table.column_names:
        raise DatasetFormatError(f"{root / layout.EPISODES_DIR}: no 'episode_index' column")
    order = table.column("episode_index").to_numpy()
    if not np.array_equal(order, np.arange(len(order))):
        table = table.take(np.argsort(order, kind="stable"))
    return table


def load(root: Path) -> EpisodeTable | None:
    """All episode rows without stats, sorted by ``episode_index`` (``None`` when none)."""
    table = _read(root, with_stats=False)
    return None if table is None else EpisodeTable(table)


def load_stats(root: Path) -> list[dict[str, dict[str, np.ndarray]]]:
    """Per-episode stats ``[{feature: {stat: array}}]`` from the ``stats/*`` columns."""
    table = _read(root, with_stats=True)
    if table is None:
        return []
    columns = [c for c in table.column_names if c.startswith(STATS_PREFIX)]
    data = {c: table.column(c).to_pylist() for c in columns}
    out: list[dict[str, dict[str, np.ndarray]]] = []
    for i in range(table.num_rows):
        episode: dict[str, dict[str, np.ndarray]] = {}
        for column in columns:
            value = data[column][i]
            if value is None:
                continue
            feature, stat = column[len(STATS_PREFIX) :].rsplit("/", 1)
            episode.setdefault(feature, {})[stat] = np.asarray(value)
        out.append(episode)
    return out


def stats_columns(stats: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """``{"stats/<feature>/<stat>": nested list}`` for one episode's stats."""
    return {
        f"{STATS_PREFIX}{feature}/{name}": np.asarray(value).tolist()
        for feature, feature_stats in stats.items()
        for name, value in feature_stats.items()
    }


def write_file(rows: Sequence[Mapping[str, Any]], path: Path) -> None:
    """Atomically write ``rows`` as one episodes parquet file (snappy)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pylist([dict(r) for r in rows])
    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression="snappy")
    atomic_write_bytes(path, buffer.getvalue())
