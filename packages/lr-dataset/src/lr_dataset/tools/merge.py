"""``merge_datasets``: one dataset holding the episodes of several compatible ones."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lr_dataset.errors import DatasetWriteError
from lr_dataset.metadata import LeRobotDatasetMetadata
from lr_dataset.tools.rebuild import Source, rebuild
from lr_dataset.tools.source import DatasetLike, load_result, open_meta

#: video properties that must agree for files to be joined (encoder tuning keys may differ).
VIDEO_KEYS_MUST_MATCH = ("video.codec", "video.pix_fmt", "video.height", "video.width")


class IncompatibleDatasetsError(DatasetWriteError, ValueError):
    """Datasets cannot be merged; the message names the field that differs."""


def check_compatible(metas: Sequence[LeRobotDatasetMetadata]) -> None:
    """Raise :class:`IncompatibleDatasetsError` unless fps, robot type and features agree."""
    first = metas[0]
    for other in metas[1:]:
        where = f"{other.root} vs {first.root}"
        if other.fps != first.fps:
            raise IncompatibleDatasetsError(f"fps differ ({where}): {other.fps} != {first.fps}")
        if other.robot_type != first.robot_type:
            raise IncompatibleDatasetsError(
                f"robot_type differs ({where}): {other.robot_type!r} != {first.robot_type!r}"
            )
        a, b = set(first.features), set(other.features)
        if a != b:
            raise IncompatibleDatasetsError(
                f"features differ ({where}): only in {other.root}: {sorted(b - a)}, only in "
                f"{first.root}: {sorted(a - b)}"
            )
        for key in first.features:
            fa, fb = first.features[key], other.features[key]
            for attr in ("dtype", "shape", "names"):
                va, vb = getattr(fa, attr), getattr(fb, attr)
                if (tuple(va) if attr == "shape" else va) != (tuple(vb) if attr == "shape" else vb):
                    raise IncompatibleDatasetsError(
                        f"feature {key!r}: {attr} differs ({where}): {vb} != {va}"
                    )
            if fa.dtype == "video":
                ia, ib = fa.info or {}, fb.info or {}
                for name in VIDEO_KEYS_MUST_MATCH:
                    if name in ia and name in ib and ia[name] != ib[name]:
                        raise IncompatibleDatasetsError(
                            f"video {key!r}: {name} differs ({where}): {ib[name]} != {ia[name]}"
                        )


def merge_datasets(
    datasets: Sequence[DatasetLike],
    output_dir: str | Path,
    output_repo_id: str = "local/merged",
    *,
    concatenate_videos: bool = True,
) -> Any:
    """Write the episodes of ``datasets`` one dataset after the other to ``output_dir``.

    Episode, frame and task indices are renumbered (tasks unified by their text) and stats are
    re-aggregated. With ``concatenate_videos`` (default, as LeRobot) each camera's MP4s are
    joined by stream copy into shared files up to ``video_files_size_in_mb``, every episode's
    ``from/to_timestamp`` shifted to its place; otherwise each source MP4 is copied as it is.
    The sources must have the same fps, robot type and features (checked first); they are not
    modified.
    """
    metas = [open_meta(d) for d in datasets]
    if len(metas) < 2:
        raise DatasetWriteError(f"merge needs at least two datasets, got {len(metas)}")
    roots = [m.root.resolve() for m in metas]
    if len(set(roots)) != len(roots):
        raise DatasetWriteError(f"a dataset is listed twice: {[str(r) for r in roots]}")
    check_compatible(metas)
    sources = [Source(m, list(range(m.total_episodes))) for m in metas]
    root, _ = rebuild(sources, output_dir, concatenate_videos=concatenate_videos)
    return load_result(root, output_repo_id)
