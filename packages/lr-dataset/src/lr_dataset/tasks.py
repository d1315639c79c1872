"""``meta/tasks.parquet``: the task strings and their ``task_index``.

LeRobot writes the file from a pandas DataFrame indexed by ``task``; the file therefore holds
the columns ``task_index`` and ``task`` plus pandas' index metadata. :func:`save` writes the same
bytes-level schema without needing pandas.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from lr_core.fileio import atomic_write_bytes
from lr_dataset import layout
from lr_dataset.errors import DatasetFormatError


class TaskTable:
    """Ordered task strings; ``task_index`` is the position. Lookup both ways in O(1)."""

    def __init__(self, tasks: Iterable[str] = ()) -> None:
        self._tasks: list[str] = []
        self._index: dict[str, int] = {}
        for task in tasks:
            self.add(task)

    def add(self, task: str) -> int:
        """The index of ``task``, appending it when new."""
        if task in self._index:
            return self._index[task]
        self._index[task] = len(self._tasks)
        self._tasks.append(task)
        return self._index[task]

    def index(self, task: str) -> int:
        """``task_index`` of ``task`` (KeyError when unknown)."""
        return self._index[task]

    def get(self, task: str) -> int | None:
        """``task_index`` of ``task`` or ``None``."""
        return self._index.get(task)

    def __getitem__(self, task_index: int) -> str:
        return self._tasks[task_index]

    def __contains__(self, task: object) -> bool:
        return task in self._index

    def __len__(self) -> int:
        return len(self._tasks)

    def __iter__(self) -> Iterator[str]:
        return iter(self._tasks)

    def __repr__(self) -> str:
        return f"TaskTable({self._tasks!r})"

    def to_dict(self) -> dict[int, str]:
        """``{task_index: task}``."""
        return dict(enumerate(self._tasks))


def load(root: Path) -> TaskTable:
    """Read ``<root>/meta/tasks.parquet`` (an empty table when the file is absent)."""
    import pyarrow.parquet as pq

    path = root / layout.TASKS_PATH
    if not path.exists():
        return TaskTable()
    table = pq.read_table(path)
    names = table.column_names
    task_column = "task" if "task" in names else _pandas_index_column(table)
    if task_column is None or "task_index" not in names:
        raise DatasetFormatError(f"{path}: expected columns 'task' and 'task_index', got {names}")
    pairs = sorted(
        zip(table.column("task_index").to_pylist(), table.column(task_column).to_pylist()),
        key=lambda p: p[0],
    )
    for position, (task_index, _) in enumerate(pairs):
        if task_index != position:
            raise DatasetFormatError(
                f"{path}: task_index values must be 0..{len(pairs) - 1}, got {task_index} at "
                f"position {position}"
            )
    return TaskTable(task for _, task in pairs)


def _pandas_index_column(table: Any) -> str | None:
    """The column pandas stored its index in (LeRobot 0.4 leaves it unnamed); ``table`` is a
    ``pyarrow.Table``."""
    metadata = table.schema.metadata or {}
    raw = metadata.get(b"pandas")
    if raw:
        for name in json.loads(raw).get("index_columns", []):
            if isinstance(name, str) and name in table.column_names:
                return name
    return "__index_level_0__" if "__index_level_0__" in table.column_names else None


def _pandas_metadata() -> bytes:
    import pyarrow as pa

    meta = {
        "index_columns": ["task"],
        "column_indexes": [
            {
                "name": None,
                "field_name": None,
                "pandas_type": "unicode",
                "numpy_type": "object",
                "metadata": {"encoding": "UTF-8"},
            }
        ],
        "columns": [
            {
                "name": "task_index",
                "field_name": "task_index",
                "pandas_type": "int64",
                "numpy_type": "int64",
                "metadata": None,
            },
            {
                "name": "task",
                "field_name": "task",
                "pandas_type": "unicode",
                "numpy_type": "object",
                "metadata": None,
            },
        ],
        "attributes": {},
        "creator": {"library": "pyarrow", "version": pa.__version__},
        "pandas_version": "2.3.3",
    }
    return json.dumps(meta).encode()


def save(tasks: TaskTable, root: Path) -> None:
    """Atomically replace ``<root>/meta/tasks.parquet``."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema(
        [pa.field("task_index", pa.int64()), pa.field("task", pa.string())],
        metadata={b"pandas": _pandas_metadata()},
    )
    table = pa.table({"task_index": list(range(len(tasks))), "task": list(tasks)}, schema=schema)
    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression="snappy")
    atomic_write_bytes(root / layout.TASKS_PATH, buffer.getvalue())
