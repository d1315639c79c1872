"""Feature statistics: per-episode stats and their aggregation, as LeRobot computes them.

For each non-string feature the stats are ``min, max, mean, std, count`` and the quantiles
``q01, q10, q50, q90, q99``. Vectors give ``(D,)`` arrays (``(1,)`` for scalar columns); images
and videos give per-channel ``(C, 1, 1)`` arrays in [0, 1] (RGB divided by 255), computed on
frames downsampled so the long side is about 150 px. ``count`` is ``[N]`` (frames).

Quantiles come from 5000-bin per-dimension histograms that are re-binned when the range grows
(LeRobot's ``RunningQuantileStats``); across episodes they are count-weighted averages of the
per-episode quantiles, mean and std are pooled exactly, min/max are global.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from lr_core.fileio import atomic_write_text
from lr_dataset import layout

QUANTILES = (0.01, 0.10, 0.50, 0.90, 0.99)
QUANTILE_KEYS = tuple(f"q{int(q * 100):02d}" for q in QUANTILES)
STAT_KEYS = ("min", "max", "mean", "std", "count", *QUANTILE_KEYS)
NUM_BINS = 5000

Stats = dict[str, dict[str, np.ndarray]]


class RunningStats:
    """Running per-dimension statistics over batches of ``(N, D)`` vectors.

    ``update`` may be called any number of times; ``result`` gives the LeRobot stat dict.
    """

    def __init__(self, num_bins: int = NUM_BINS) -> None:
        self.num_bins = num_bins
        self.count = 0
        self._mean: np.ndarray | None = None
        self._mean_sq: np.ndarray | None = None
        self._min: np.ndarray | None = None
        self._max: np.ndarray | None = None
        self._hist: np.ndarray | None = None  # (D, bins)
        self._lo: np.ndarray | None = None  # (D,) left edge
        self._hi: np.ndarray | None = None  # (D,) right edge

    def update(self, batch: np.ndarray) -> None:
        """Add ``batch`` (any shape; the last axis is the vector dimension)."""
        batch = np.asarray(batch)
        batch = batch.reshape(-1, batch.shape[-1])
        batch = batch.astype(np.result_type(batch.dtype, np.float32), copy=False)
        n = batch.shape[0]
        if n == 0:
            return
        bmin, bmax = batch.min(axis=0), batch.max(axis=0)
        if self._mean is None:
            self._mean = batch.mean(axis=0).astype(np.float64)
            self._mean_sq = (batch.astype(np.float64) ** 2).mean(axis=0)
            self._min, self._max = bmin.copy(), bmax.copy()
            self._lo = self._min.astype(np.float64) - 1e-10
            self._hi = self._max.astype(np.float64) + 1e-10
            self._hist = np.zeros((batch.shape[1], self.num_bins))
            self.count = n
        else:
            if batch.shape[1] != self._mean.size:
                raise ValueError(
                    f"vector length {batch.shape[1]} does not match the first batch's "
                    f"{self._mean.size}"
                )
            grew = bool(np.any(bmax > self._max) or np.any(bmin < self._min))
            self._max = np.maximum(self._max, bmax)
            self._min = np.minimum(self._min, bmin)
            if grew:
                self._rebin()
            self.count += n
            b64 = batch.astype(np.float64)
            self._mean += (b64.mean(axis=0) - self._mean) * (n / self.count)
            self._mean_sq += ((b64**2).mean(axis=0) - self._mean_sq) * (n / self.count)
        self._add_to_hist(batch)

    def _bin_of(self, values: np.ndarray, dim: int) -> np.ndarray:
        lo, hi = self._lo[dim], self._hi[dim]
        width = (hi - lo) / self.num_bins
        if width <= 0:
            return np.zeros(values.shape, dtype=np.int64)
        idx = np.floor((values - lo) / width).astype(np.int64)
        return np.clip(idx, 0, self.num_bins - 1)

    def _add_to_hist(self, batch: np.ndarray) -> None:
        for d in range(batch.shape[1]):
            idx = self._bin_of(batch[:, d].astype(np.float64), d)
            self._hist[d] += np.bincount(idx, minlength=self.num_bins)

    def _rebin(self) -> None:
        old_lo, old_hi, old_hist = self._lo.copy(), self._hi.copy(), self._hist
        pad = (self._max.astype(np.float64) - self._min.astype(np.float64)) * 1e-10
        self._lo = self._min.astype(np.float64) - pad
        self._hi = self._max.astype(np.float64) + pad
        self._hist = np.zeros_like(old_hist)
        for d in range(old_hist.shape[0]):
            edges = np.linspace(old_lo[d], old_hi[d], self.num_bins + 1)
            centers = (edges[:-1] + edges[1:]) / 2
            nz = old_hist[d] > 0
            if not nz.any():
                continue
            new_edges = np.linspace(self._lo[d], self._hi[d], self.num_bins + 1)
            idx = np.clip(np.searchsorted(new_edges, centers[nz]) - 1, 0, self.num_bins - 1)
            np.add.at(self._hist[d], idx, old_hist[d][nz])

    def _quantile(self, d: int, target: float) -> float:
        edges = np.linspace(self._lo[d], self._hi[d], self.num_bins + 1)
        cumsum = np.cumsum(self._hist[d])
        idx = int(np.searchsorted(cumsum, target))
        if idx == 0:
            return float(edges[0])
        if idx >= len(cumsum):
            return float(edges[-1])
        before = cumsum[idx - 1]
        in_bin = cumsum[idx] - before
        if in_bin == 0:
            return float(edges[idx])
        return float(edges[idx] + (target - before) / in_bin * (edges[idx + 1] - edges[idx]))

    def result(self, count: int | None = None) -> dict[str, np.ndarray]:
        """The stats so far; ``count`` overrides the reported count (frames, for images)."""
        if self._mean is None:
            raise ValueError("no values were added")
        std = np.sqrt(np.maximum(0.0, self._mean_sq - self._mean**2))
        out = {
            "min": np.asarray(self._min, dtype=np.float64).copy(),
            "max": np.asarray(self._max, dtype=np.float64).copy(),
            "mean": self._mean.copy(),
            "std": std,
            "count": np.array([self.count if count is None else count], dtype=np.int64),
        }
        if self.count < 2:
            for key in QUANTILE_KEYS:
                out[key] = out["mean"].copy()
            out["std"] = np.zeros_like(out["mean"])
            return out
        dims = self._mean.size
        for q, key in zip(QUANTILES, QUANTILE_KEYS):
            out[key] = np.array([self._quantile(d, q * self.count) for d in range(dims)])
        return out


def vector_stats(values: np.ndarray) -> dict[str, np.ndarray]:
    """Stats of one episode's column: ``(N,)`` scalars or ``(N, D...)`` vectors."""
    values = np.asarray(values)
    n = values.shape[0]
    flat = values.reshape(n, -1) if values.ndim > 1 else values.reshape(n, 1)
    running = RunningStats()
    running.update(flat)
    out = running.result(count=n)
    if values.ndim > 2:  # keep the per-element shape of multi-dimensional features
        out = {k: v if k == "count" else v.reshape(values.shape[1:]) for k, v in out.items()}
    return out


def downsample_for_stats(
    image_hwc: np.ndarray, target: int = 150, threshold: int = 300
) -> np.ndarray:
    """Stride-downsample an ``(H, W, C)`` image so its long side is about ``target`` px."""
    h, w = image_hwc.shape[:2]
    if max(h, w) < threshold:
        return image_hwc
    factor = int(w / target) if w > h else int(h / target)
    return image_hwc[::factor, ::factor]


class ImageStats:
    """Per-channel running stats of a camera stream, reported as ``(C, 1, 1)`` in [0, 1]."""

    def __init__(self, *, is_depth: bool = False) -> None:
        self._running = RunningStats()
        self._frames = 0
        self._scale = 1.0 if is_depth else 255.0

    def update(self, image_hwc: np.ndarray) -> None:
        """Add one uint8 ``(H, W, C)`` frame."""
        small = downsample_for_stats(image_hwc)
        self._running.update(small.reshape(-1, small.shape[-1]))
        self._frames += 1

    @property
    def frames(self) -> int:
        """Frames added so far."""
        return self._frames

    def result(self) -> dict[str, np.ndarray]:
        """The stats, each ``(C, 1, 1)`` except ``count`` (``[frames]``)."""
        raw = self._running.result(count=self._frames)
        return {
            k: v if k == "count" else (v / self._scale).reshape(-1, 1, 1) for k, v in raw.items()
        }


def aggregate_feature(stats_list: list[Mapping[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Combine one feature's stats from several episodes (pooled mean/variance)."""
    means = np.stack([np.asarray(s["mean"], dtype=np.float64) for s in stats_list])
    variances = np.stack([np.asarray(s["std"], dtype=np.float64) ** 2 for s in stats_list])
    counts = np.stack([np.asarray(s["count"]) for s in stats_list])
    total = counts.sum(axis=0)
    w = counts.astype(np.float64)
    while w.ndim < means.ndim:
        w = np.expand_dims(w, -1)
    mean = (means * w).sum(axis=0) / total
    var = ((variances + (means - mean) ** 2) * w).sum(axis=0) / total
    out = {
        "min": np.min(np.stack([np.asarray(s["min"]) for s in stats_list]), axis=0),
        "max": np.max(np.stack([np.asarray(s["max"]) for s in stats_list]), axis=0),
        "mean": mean,
        "std": np.sqrt(var),
        "count": total,
    }
    for key in QUANTILE_KEYS:
        if all(key in s for s in stats_list):
            qs = np.stack([np.asarray(s[key], dtype=np.float64) for s in stats_list])
            out[key] = (qs * w).sum(axis=0) / total
    return out


def aggregate(stats_list: Iterable[Mapping[str, Mapping[str, np.ndarray]] | None]) -> Stats:
    """Aggregate several ``{feature: {stat: array}}`` dicts (union of features)."""
    items = [s for s in stats_list if s]
    keys: list[str] = []
    for s in items:
        keys += [k for k in s if k not in keys]
    return {k: aggregate_feature([s[k] for s in items if k in s]) for k in keys}


def to_json(stats: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Nested lists/ints/floats, as in ``meta/stats.json``."""
    out: dict[str, dict[str, Any]] = {}
    for key, feature_stats in stats.items():
        out[key] = {}
        for name, value in feature_stats.items():
            arr = np.asarray(value)
            out[key][name] = arr.tolist()
    return out


def from_json(data: Mapping[str, Mapping[str, Any]]) -> Stats:
    """numpy arrays (at least 1-D) from the JSON form."""
    return {
        key: {name: np.atleast_1d(np.asarray(value)) for name, value in feature.items()}
        for key, feature in data.items()
    }


def load(root: Path) -> Stats | None:
    """Read ``meta/stats.json`` (``None`` when absent)."""
    path = root / layout.STATS_PATH
    if not path.exists():
        return None
    return from_json(json.loads(path.read_text()))


def save(stats: Mapping[str, Mapping[str, Any]], root: Path) -> None:
    """Atomically replace ``meta/stats.json`` (indent 4)."""
    atomic_write_text(root / layout.STATS_PATH, json.dumps(to_json(stats), indent=4))
