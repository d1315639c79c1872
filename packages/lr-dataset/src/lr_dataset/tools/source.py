"""What the tools accept as a dataset: a folder, metadata, or a LeRobotDataset."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lr_dataset.metadata import LeRobotDatasetMetadata, as_metadata

DatasetLike = str | Path | LeRobotDatasetMetadata | Any


def open_meta(dataset: DatasetLike, repo_id: str | None = None) -> LeRobotDatasetMetadata:
    """The metadata of ``dataset`` (a root folder, metadata, or anything with ``.meta``)."""
    return as_metadata(dataset, repo_id)


def load_result(root: Path, repo_id: str) -> Any:
    """The written dataset as a :class:`lr_dataset.LeRobotDataset` (torch flavour if present)."""
    from lr_dataset import LeRobotDataset

    return LeRobotDataset(repo_id, root=root)
