"""Normalisation modes (torch-free, so policy configs can name them)."""

from __future__ import annotations

from enum import StrEnum


class NormalizationMode(StrEnum):
    """How a feature is normalised; values match LeRobot's ``NormalizationMode``.

    - ``MEAN_STD``: ``(x - mean) / (std + eps)``
    - ``MIN_MAX``: ``2 (x - min) / (max - min) - 1`` (``eps`` where ``max == min``)
    - ``QUANTILES``: as MIN_MAX with ``q01`` / ``q99``; ``QUANTILE10`` with ``q10`` / ``q90``
    - ``IDENTITY``: unchanged
    """

    MEAN_STD = "MEAN_STD"
    MIN_MAX = "MIN_MAX"
    QUANTILES = "QUANTILES"
    QUANTILE10 = "QUANTILE10"
    IDENTITY = "IDENTITY"
