"""The confidence interval lr reports with every success rate (policies, experts, remote eval)."""

from __future__ import annotations

import math

__all__ = ["Z_95", "wilson_interval"]

Z_95 = 1.959963984540054
"""The standard normal quantile of 0.975: a two-sided 95% interval."""


def wilson_interval(successes: int, n: int, z: float = Z_95) -> tuple[float, float]:
    """The Wilson score interval of a success rate ``successes / n``, clipped to [0, 1].

    95% for the default ``z``; ``(0.0, 1.0)`` when ``n`` is 0 (nothing is known). Source:
    E. B. Wilson, "Probable inference, the law of succession, and statistical inference",
    JASA 22 (1927); the form below is the usual centre +- half-width one.

    Raises:
        ValueError: when ``successes`` is outside ``0..n``.
    """
    if n <= 0:
        return (0.0, 1.0)
    if not 0 <= successes <= n:
        raise ValueError(f"successes must be within 0..{n}, got {successes}")
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))
