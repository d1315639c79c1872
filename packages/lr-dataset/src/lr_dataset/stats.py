"""Feature statistics: per-episode stats and their aggregation, as LeRobot computes them.

For each non-string feature the stats are ``min, max, mean, std, count`` and the quantiles
``q01, q10, q50, q90, q99``. Vectors give ``(D,)`` arrays (``(1,)`` for scalar columns); images
and videos give per-channel ``(C, 1, 1)`` arrays in [0, 1] (RGB divided by 255), computed on
frames downsampled so the long side is about 150 px. ``count`` is ``[N]`` (frames).

Precision. Every value is accumulated in float64 from the first one: each batch's mean and sum
of squared deviations come from a corrected two-pass (Chan, Golub & LeVeque, "Algorithms for
computing the sample variance", 1983), and batches, episodes and datasets are combined with
Chan's parallel merge (Chan, Golub & LeVeque, 1979) instead of LeRobot's one-pass
``E[x²] - E[x]²`` in the input precision, which loses every digit of a small spread on a large
offset (a 4000 ± 0.05 column) and puts a constant column's mean outside its own value. The
results always satisfy ``min <= mean <= max`` and ``min <= q.. <= max``, and a column with
``min == max`` has ``std == 0`` and every quantile equal to that value.

Quantiles follow LeRobot 0.6.1 (``lerobot/datasets/compute_stats.py``, ``RunningQuantileStats``):
5000-bin per-dimension histograms over ``[min - 1e-10, max + 1e-10]`` whose counts are moved to
new bins when the range grows, read with linear interpolation inside a bin; fewer than 2 values
give quantiles equal to the mean. Across episodes (``aggregate_stats``) min/max are global,
mean and std pooled exactly, counts summed, and quantiles the count-weighted average of the
per-episode quantiles (LeRobot's approximation, kept so both tools write the same numbers).
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

_UINT8_LEVELS = np.arange(256, dtype=np.float64)


def batch_moments(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(min, max, mean, m2)`` per column of a float64 ``(N, D)`` array, ``N >= 1``.

    ``m2`` is the sum of squared deviations from the mean (corrected two-pass formula); a
    constant column gets its value as mean and ``m2 = 0`` exactly. Columns are reduced
    contiguously (give a Fortran-ordered array for speed), so sums are numpy's pairwise ones.
    """
    lo, hi = values.min(axis=0), values.max(axis=0)
    n = values.shape[0]
    mean = values.mean(axis=0)
    dev = values - mean
    dev_sum = dev.sum(axis=0)
    m2 = np.einsum("ij,ij->j", dev, dev) - dev_sum**2 / n
    mean = mean + dev_sum / n
    mean, m2 = _bounded(mean, np.maximum(m2, 0.0), lo, hi)
    return lo, hi, mean, m2


def level_moments(
    counts: np.ndarray, levels: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`batch_moments` of data given as ``counts[d, k]`` occurrences of ``levels[k]`` in
    column ``d`` (a histogram of uint8 pixels): exact, in float64, without the pixels."""
    n = counts.sum(axis=1)
    present = counts > 0
    lo = np.array([levels[np.flatnonzero(p)[0]] for p in present], dtype=np.float64)
    hi = np.array([levels[np.flatnonzero(p)[-1]] for p in present], dtype=np.float64)
    mean = (counts * levels).sum(axis=1) / n
    dev = levels[None, :] - mean[:, None]
    m2 = (counts * dev * dev).sum(axis=1)
    mean, m2 = _bounded(mean, np.maximum(m2, 0.0), lo, hi)
    return lo, hi, mean, m2


def merge_moments(
    n_a: float, mean_a: np.ndarray, m2_a: np.ndarray, n_b: float, mean_b: np.ndarray, m2_b: Any
) -> tuple[np.ndarray, np.ndarray]:
    """Chan's parallel merge of two ``(count, mean, m2)`` summaries: the combined mean and m2.

    Exact when both means are equal (the mean is not moved, no cross term is added).
    """
    n = n_a + n_b
    delta = mean_b - mean_a
    mean = mean_a + delta * (n_b / n)
    m2 = m2_a + m2_b + delta**2 * (n_a * n_b / n)
    return mean, m2


def _bounded(
    mean: np.ndarray, m2: np.ndarray, lo: np.ndarray, hi: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``mean`` clamped into ``[lo, hi]``; where ``lo == hi`` the mean is ``lo`` and m2 is 0."""
    const = lo == hi
    mean = np.where(const, lo, np.clip(mean, lo, hi)).astype(np.float64)
    m2 = np.where(const, 0.0, m2).astype(np.float64)
    return mean, m2


def _bound_quantile(q: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    return np.where(lo == hi, lo, np.clip(q, lo, hi)).astype(np.float64)


class RunningStats:
    """Running per-dimension statistics over batches of ``(N, D)`` vectors.

    ``update`` may be called any number of times (per frame, per episode); ``result`` gives the
    LeRobot stat dict. Everything is accumulated in float64 (see the module docstring).
    """

    def __init__(self, num_bins: int = NUM_BINS) -> None:
        self.num_bins = num_bins
        self.count = 0
        self._mean: np.ndarray | None = None
        self._m2: np.ndarray | None = None
        self._min: np.ndarray | None = None
        self._max: np.ndarray | None = None
        self._hist: np.ndarray | None = None  # (D, bins)
        self._lo: np.ndarray | None = None  # (D,) left edge of the histogram
        self._hi: np.ndarray | None = None  # (D,) right edge

    def update(self, batch: np.ndarray) -> None:
        """Add ``batch`` (any shape; the last axis is the vector dimension)."""
        batch = np.asarray(batch)
        if batch.ndim == 0:
            batch = batch.reshape(1, 1)
        batch = batch.reshape(-1, batch.shape[-1])
        n = batch.shape[0]
        if n == 0:
            return
        counts: np.ndarray | None = None
        if batch.dtype == np.uint8:  # camera pixels: 256 levels, count them once per channel
            counts = np.stack(
                [np.bincount(batch[:, d], minlength=256) for d in range(batch.shape[1])]
            )
            values = None
            bmin, bmax, bmean, bm2 = level_moments(counts, _UINT8_LEVELS)
        else:
            values = np.array(batch, dtype=np.float64, order="F")  # one copy, columns contiguous
            bmin, bmax, bmean, bm2 = batch_moments(values)
        if self._mean is None:
            self._min, self._max, self._mean, self._m2 = bmin, bmax, bmean, bm2
            self._lo = bmin - 1e-10
            self._hi = bmax + 1e-10
            self._hist = np.zeros((batch.shape[1], self.num_bins))
            self.count = n
        else:
            assert self._min is not None and self._max is not None and self._m2 is not None
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
            mean, m2 = merge_moments(self.count, self._mean, self._m2, n, bmean, bm2)
            self._mean, self._m2 = _bounded(mean, m2, self._min, self._max)
            self.count += n
        if counts is not None:
            self._add_counts_to_hist(counts, _UINT8_LEVELS)
        else:
            assert values is not None
            self._add_to_hist(values)

    def _bins(self, values: np.ndarray) -> np.ndarray:
        """Bin of each value of an ``(N, D)`` array: ``floor((v - lo[d]) / width[d])``, clipped
        (LeRobot bins with ``np.histogram`` over the same edges)."""
        assert self._lo is not None and self._hi is not None
        bins = self.num_bins
        width = (self._hi - self._lo) / bins
        safe = np.where(width > 0, width, 1.0)
        idx = np.floor((values - self._lo) / safe)
        idx = np.where(width > 0, idx, 0)
        return np.clip(idx, 0, bins - 1).astype(np.int64)

    def _add_to_hist(self, values: np.ndarray) -> None:
        """One ``bincount`` for every dimension, flattened as ``d * bins + bin``."""
        assert self._hist is not None
        dims, bins = values.shape[1], self.num_bins
        idx = self._bins(values) + np.arange(dims, dtype=np.int64) * bins
        self._hist += np.bincount(idx.ravel(order="F"), minlength=dims * bins).reshape(dims, bins)

    def _add_counts_to_hist(self, counts: np.ndarray, levels: np.ndarray) -> None:
        """Add ``counts[d, k]`` values ``levels[k]``: each level binned once, counts as weights
        (the same bins as :meth:`_add_to_hist` of the values themselves)."""
        assert self._hist is not None
        dims = counts.shape[0]
        idx = self._bins(np.repeat(levels[:, None], dims, axis=1))  # (K, D)
        for d in range(dims):
            self._hist[d] += np.bincount(idx[:, d], weights=counts[d], minlength=self.num_bins)

    def _rebin(self) -> None:
        """Move the counts to bins over the grown range (LeRobot's ``_adjust_histograms``:
        each old bin's count goes to the new bin holding its centre)."""
        assert self._lo is not None and self._hi is not None and self._hist is not None
        assert self._min is not None and self._max is not None
        old_lo, old_hi, old_hist = self._lo.copy(), self._hi.copy(), self._hist
        pad = (self._max - self._min) * 1e-10
        self._lo = self._min - pad
        self._hi = self._max + pad
        self._hist = np.zeros_like(old_hist)
        for d in range(old_hist.shape[0]):
            nz = old_hist[d] > 0
            if not nz.any():
                continue
            edges = np.linspace(old_lo[d], old_hi[d], self.num_bins + 1)
            centers = (edges[:-1] + edges[1:]) / 2
            new_edges = np.linspace(self._lo[d], self._hi[d], self.num_bins + 1)
            idx = np.clip(np.searchsorted(new_edges, centers[nz]) - 1, 0, self.num_bins - 1)
            np.add.at(self._hist[d], idx, old_hist[d][nz])

    def _quantile(self, d: int, target: float) -> float:
        assert self._lo is not None and self._hi is not None and self._hist is not None
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
        if self._mean is None or self._m2 is None or self._min is None or self._max is None:
            raise ValueError("no values were added")
        out = {
            "min": self._min.copy(),
            "max": self._max.copy(),
            "mean": self._mean.copy(),
            "std": np.sqrt(self._m2 / self.count),
            "count": np.array([self.count if count is None else count], dtype=np.int64),
        }
        if self.count < 2:
            for key in QUANTILE_KEYS:
                out[key] = out["mean"].copy()
            return out
        dims = self._mean.size
        for q, key in zip(QUANTILES, QUANTILE_KEYS):
            values = np.array([self._quantile(d, q * self.count) for d in range(dims)])
            out[key] = _bound_quantile(values, self._min, self._max)
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
    """Stride-downsample an ``(H, W, C)`` image so its long side is about ``target`` px
    (LeRobot's ``auto_downsample_height_width``)."""
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
    """Combine one feature's stats from several episodes (or datasets).

    min/max are global, mean and std pooled exactly (Chan's merge in float64, episode after
    episode), ``count`` summed, quantiles the count-weighted mean of the per-episode quantiles
    (as LeRobot's ``aggregate_feature_stats``, present only when every input has them). Entries
    with ``count`` 0 are skipped. The result keeps the invariants of the module docstring.
    """
    items = [s for s in stats_list if int(np.asarray(s["count"]).sum()) > 0]
    if not items:
        raise ValueError("no stats with a positive count to aggregate")
    quantile_keys = [k for k in QUANTILE_KEYS if all(k in s for s in items)]
    first = items[0]
    total = np.asarray(first["count"], dtype=np.int64).copy()
    n = float(total.sum())
    mean = np.asarray(first["mean"], dtype=np.float64)
    m2 = np.asarray(first["std"], dtype=np.float64) ** 2 * n
    lo = np.asarray(first["min"])
    hi = np.asarray(first["max"])
    quantiles = {k: np.asarray(first[k], dtype=np.float64) for k in quantile_keys}
    for s in items[1:]:
        n_b = float(np.asarray(s["count"]).sum())
        mean_b = np.asarray(s["mean"], dtype=np.float64)
        m2_b = np.asarray(s["std"], dtype=np.float64) ** 2 * n_b
        mean, m2 = merge_moments(n, mean, m2, n_b, mean_b, m2_b)
        for k in quantile_keys:
            q_b = np.asarray(s[k], dtype=np.float64)
            quantiles[k] = quantiles[k] + (q_b - quantiles[k]) * (n_b / (n + n_b))
        lo = np.minimum(lo, np.asarray(s["min"]))
        hi = np.maximum(hi, np.asarray(s["max"]))
        total = total + np.asarray(s["count"], dtype=np.int64)
        n += n_b
    lo64, hi64 = lo.astype(np.float64), hi.astype(np.float64)
    mean, m2 = _bounded(mean, np.maximum(m2, 0.0), lo64, hi64)
    out: dict[str, np.ndarray] = {
        "min": lo,
        "max": hi,
        "mean": mean,
        "std": np.sqrt(m2 / n),
        "count": total,
    }
    for k in quantile_keys:
        out[k] = _bound_quantile(quantiles[k], lo64, hi64)
    return out


def aggregate(stats_list: Iterable[Mapping[str, Mapping[str, np.ndarray]] | None]) -> Stats:
    """Aggregate several ``{feature: {stat: array}}`` dicts (union of features; LeRobot's
    ``aggregate_stats``)."""
    items = [s for s in stats_list if s]
    keys: list[str] = []
    for s in items:
        keys += [k for k in s if k not in keys]
    return {k: aggregate_feature([s[k] for s in items if k in s]) for k in keys}


#: LeRobot's name for :func:`aggregate`.
aggregate_stats = aggregate


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
