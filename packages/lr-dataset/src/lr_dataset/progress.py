"""Progress bars with ETA for the dataset tools (tqdm, the library ``lr train``'s bar uses).

The tools call :func:`progress` around their per-episode loops. Bars go to stderr and are
shown when stderr is a terminal, unless :func:`show_progress` says otherwise (the ``lr
dataset`` commands turn them on, ``--progress_bar=false`` off), so library calls in scripts and
tests stay quiet.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_enabled: bool | None = None  # None: only when stderr is a terminal


def show_progress(enabled: bool | None) -> None:
    """Force bars on (``True``) or off (``False``), or back to "when stderr is a terminal"."""
    global _enabled
    _enabled = enabled


def progress_setting() -> bool | None:
    """What :func:`show_progress` last set (``None``: when stderr is a terminal)."""
    return _enabled


def progress_enabled() -> bool:
    """Whether :func:`progress` draws a bar now."""
    if _enabled is not None:
        return _enabled
    return bool(getattr(sys.stderr, "isatty", lambda: False)())


class _NoBar:
    def update(self, n: int = 1) -> None:
        """Nothing to draw."""


@contextmanager
def progress(total: int, desc: str, unit: str = "episode") -> Iterator[Any]:
    """A bar of ``total`` ``unit``s (``bar.update(n)``) with rate and ETA, or a no-op."""
    if not progress_enabled() or total <= 0:
        yield _NoBar()
        return
    from tqdm import tqdm

    with tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, dynamic_ncols=True) as bar:
        yield bar
