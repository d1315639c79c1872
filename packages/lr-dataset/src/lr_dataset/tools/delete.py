"""``delete_episodes``: a copy of a dataset without some of its episodes."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from lr_dataset.errors import DatasetWriteError
from lr_dataset.tools.rebuild import Source, rebuild
from lr_dataset.tools.source import DatasetLike, load_result, open_meta


def delete_episodes(
    dataset: DatasetLike,
    episode_indices: Iterable[int],
    output_dir: str | Path,
    repo_id: str | None = None,
) -> Any:
    """Write ``dataset`` minus ``episode_indices`` to ``output_dir``; return the new dataset.

    Kept episodes are renumbered ``0..N-1`` in their original order; MP4 files holding only kept
    episodes are copied, the others rebuilt by stream copy. The source is not modified.
    """
    meta = open_meta(dataset)
    drop = sorted({int(e) for e in episode_indices})
    if not drop:
        raise DatasetWriteError("no episodes to delete: give at least one episode index")
    bad = [e for e in drop if not 0 <= e < meta.total_episodes]
    if bad:
        raise DatasetWriteError(
            f"episodes {bad} do not exist in {meta.root} (it has episodes "
            f"0..{meta.total_episodes - 1})"
        )
    keep = [e for e in range(meta.total_episodes) if e not in set(drop)]
    if not keep:
        raise DatasetWriteError("cannot delete every episode: the result would be empty")
    root, _ = rebuild([Source(meta, keep)], output_dir)
    return load_result(root, repo_id or f"{meta.repo_id}_modified")
