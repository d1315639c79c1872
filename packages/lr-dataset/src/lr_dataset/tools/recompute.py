"""``recompute_stats``: a copy of a dataset whose statistics are computed again from its frames.

Numeric features are recomputed from every frame; with ``include_visual=True`` cameras are
too, from every decoded frame (video) or PNG (image), downsampled as LeRobot does. The per-episode
``stats/*`` columns and ``meta/stats.json`` of the copy are rewritten; the source is untouched.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lr_dataset import tabular
from lr_dataset.progress import progress
from lr_dataset.stats import ImageStats
from lr_dataset.tools.rebuild import EpisodeRows, Source, rebuild
from lr_dataset.tools.source import DatasetLike, load_result, open_meta


def _video_episode_stats(path: Path, start: float, end: float, fps: int, is_depth: bool) -> dict:
    from fractions import Fraction

    from lr_dataset.video.pyav import import_av

    av = import_av()
    stats = ImageStats(is_depth=is_depth)
    half = Fraction(1, 2 * fps)
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        tb = Fraction(stream.time_base)
        lo, hi = Fraction(start) - half, Fraction(end) - half
        container.seek(max(0, int(lo / tb)), backward=True, any_frame=False, stream=stream)
        for frame in container.decode(stream):
            if frame.pts is None or frame.pts * tb < lo:
                continue
            if frame.pts * tb >= hi:
                break
            stats.update(frame.to_ndarray(format="rgb24"))
    return stats.result()


def recompute_stats(
    dataset: DatasetLike,
    output_dir: str | Path,
    *,
    include_visual: bool = False,
    repo_id: str | None = None,
) -> Any:
    """Write a copy of ``dataset`` to ``output_dir`` with freshly computed stats."""
    meta = open_meta(dataset)
    numeric = [
        k
        for k, f in meta.features.items()
        if not f.is_visual and f.dtype not in ("string", "language")
    ]
    overrides: list[dict[str, Any]] = []
    if include_visual and meta.camera_keys:
        data = EpisodeRows(meta)
        with progress(meta.total_episodes, "recompute: camera stats") as bar:
            for ep in range(meta.total_episodes):
                ep_stats: dict[str, Any] = {}
                row = meta.episode(ep)
                for key in meta.image_keys:
                    table, _ = data.episode(ep)
                    stats = ImageStats(is_depth=key in meta.depth_keys)
                    for value in table.column(key).to_pylist():
                        stats.update(tabular.decode_png(value["bytes"]))
                    ep_stats[key] = stats.result()
                for key in meta.video_keys:
                    path = meta.root / meta.get_video_file_path(ep, key)
                    ep_stats[key] = _video_episode_stats(
                        path,
                        float(row[f"videos/{key}/from_timestamp"]),
                        float(row[f"videos/{key}/to_timestamp"]),
                        meta.fps,
                        key in meta.depth_keys,
                    )
                overrides.append(ep_stats)
                bar.update(1)
    root, _ = rebuild(
        [Source(meta, list(range(meta.total_episodes)))],
        output_dir,
        recompute_stats=numeric,
        stats_overrides=overrides or None,
    )
    return load_result(root, repo_id or f"{meta.repo_id}_modified")


__all__ = ["recompute_stats"]
