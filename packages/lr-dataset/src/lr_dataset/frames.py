"""A lazy polars view of a dataset: its frames joined with their episode and task.

For data pipelines that filter, aggregate or export the tabular part of a dataset without
decoding a single video frame::

    import polars as pl
    from lr_dataset import scan_frames

    frames = scan_frames("data/pick")           # a polars LazyFrame, nothing read yet
    per_task = (
        frames.filter(pl.col("length") >= 50)  # episodes of at least 50 frames
        .group_by("task")
        .agg(pl.len().alias("frames"), pl.col("next.reward").sum())
        .collect()
    )
    frames.select("index", "task", "action").sink_parquet("actions.parquet")

One row per frame, in ``index`` order:

- every column of the data parquet: numeric features (``(n,)`` vectors as polars ``Array``),
  image features (``struct<bytes, path>``, PNG bytes; only read when selected), ``timestamp``,
  ``frame_index``, ``episode_index``, ``index``, ``task_index``;
- ``task``: the task string (from ``meta/tasks.parquet``);
- the episode's row from ``meta/episodes`` (``length``, ``tasks``, ``dataset_from_index``,
  ``dataset_to_index``, ``data/*`` and ``videos/<camera>/*`` locations...; ``stats/*`` columns
  are left out). A name a feature already uses gets the suffix ``_episode``.

Only frames that an episode references are included (an interrupted write may leave extra rows
at the end of a file). Polars reads the parquet files lazily, so a query touches only the
columns and row groups it needs. :func:`scan_episodes` is the episode table alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from lr_dataset.errors import DatasetFormatError
from lr_dataset.metadata import as_metadata

if TYPE_CHECKING:  # pragma: no cover
    import polars as pl


def scan_episodes(dataset: Any, episodes: Sequence[int] | None = None) -> pl.LazyFrame:
    """The ``meta/episodes`` rows (without ``stats/*``) of ``dataset`` (a folder, metadata or
    dataset), ``episodes`` only when given, as a LazyFrame sorted by ``episode_index``."""
    import polars as pl

    meta = as_metadata(dataset)
    if meta.episodes is None:
        raise DatasetFormatError(f"{meta.root}: the dataset has no saved episodes")
    table = pl.from_arrow(meta.episodes.table)
    assert isinstance(table, pl.DataFrame)
    lf = table.lazy()
    if episodes is not None:
        lf = lf.filter(pl.col("episode_index").is_in(sorted({int(e) for e in episodes})))
    return lf.sort("episode_index")


def scan_frames(dataset: Any, episodes: Sequence[int] | None = None) -> pl.LazyFrame:
    """One row per frame of ``dataset`` (a folder, metadata or dataset) joined with its task and
    episode row (see the module docstring); only ``episodes`` when given (a ``LeRobotDataset``'s
    own selection otherwise)."""
    import polars as pl

    meta = as_metadata(dataset)
    if episodes is None and meta is not dataset:  # a LeRobotDataset: its selected episodes
        episodes = getattr(dataset, "episodes", None)
    episode_rows = scan_episodes(meta, episodes)
    files = [meta.root / f for f in meta.files_of(episodes, videos=False)]
    frames = pl.scan_parquet(files)
    tasks = pl.LazyFrame(
        {"task_index": list(range(len(meta.tasks))), "task": list(meta.tasks)},
        schema={"task_index": pl.Int64, "task": pl.String},
    )
    names = frames.collect_schema().names()
    suffix = "_episode"
    start, stop = (
        name + suffix if name in names else name
        for name in ("dataset_from_index", "dataset_to_index")
    )
    joined = frames.join(tasks, on="task_index", how="left", suffix="_task")
    joined = joined.join(episode_rows, on="episode_index", how="inner", suffix=suffix)
    # only the rows an episode references (not what an interrupted write left after them)
    joined = joined.filter((pl.col("index") >= pl.col(start)) & (pl.col("index") < pl.col(stop)))
    return joined.sort("index")
