"""Writing a parquet file as LeRobot does, replacing it atomically.

One row group per table (LeRobot writes one ``write_table`` per episode), snappy compression,
dictionary encoding; the file goes through a temporary name, fsync and rename
(:func:`lr_core.fileio.atomic_path`), so a reader or a crash sees the old file or the new one.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lr_core.fileio import atomic_path


def write_tables(tables: Sequence[Any], schema: Any, path: Path) -> None:
    """Write pyarrow ``tables`` (one row group each, all of ``schema``) to ``path`` atomically."""
    import pyarrow.parquet as pq

    with (
        atomic_path(path) as tmp,
        pq.ParquetWriter(tmp, schema, compression="snappy", use_dictionary=True) as writer,
    ):
        for table in tables:
            writer.write_table(table, row_group_size=max(1, table.num_rows))
