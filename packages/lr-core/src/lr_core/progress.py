"""One progress bar for every long-running command (``lr train``, ``lr eval``, dataset tools).

``progress_bar(total, desc=..., unit=...)`` shows count, rate and ETA on stderr. It is tqdm's
bar when tqdm is installed (it comes with huggingface_hub, so with lr-dataset and lr-policies),
else a plain line printed at most once per second, so that torch-free installs (a Raspberry Pi)
need nothing more. Disabled, it still counts but prints nothing::

    with progress_bar(n_episodes, desc="eval", unit="episode") as bar:
        ...
        bar.update(2)
        bar.set_postfix_str("success 3/4")
"""

from __future__ import annotations

import sys
import time
from typing import Any, Protocol, Self, TextIO


class ProgressBar(Protocol):
    """What callers use of a bar (tqdm's names)."""

    n: float

    def update(self, n: float = 1) -> Any: ...

    def set_postfix_str(self, s: str = "", refresh: bool = True) -> Any: ...

    def write(self, s: str, file: TextIO | None = None) -> Any: ...

    def close(self) -> Any: ...

    def __enter__(self) -> Self: ...

    def __exit__(self, *exc: object) -> Any: ...


def progress_bar(
    total: float | None,
    *,
    desc: str,
    unit: str = "it",
    initial: float = 0,
    enabled: bool = True,
) -> ProgressBar:
    """A progress bar on stderr (tqdm when installed); ``enabled=False`` prints nothing."""
    try:
        from tqdm import tqdm
    except ImportError:
        return _PlainBar(total, desc=desc, unit=unit, initial=initial, enabled=enabled)
    return tqdm(
        total=total,
        initial=initial,
        desc=desc,
        unit=unit,
        file=sys.stderr,
        disable=not enabled,
        dynamic_ncols=True,
    )


class _PlainBar:
    """``desc: n/total unit [elapsed<eta, rate]`` lines, at most one per second."""

    def __init__(
        self, total: float | None, *, desc: str, unit: str, initial: float, enabled: bool
    ) -> None:
        self.total, self.desc, self.unit, self.enabled = total, desc, unit, enabled
        self.n = initial
        self._start_n = initial
        self._started = time.monotonic()
        self._last = 0.0
        self._postfix = ""

    def update(self, n: float = 1) -> None:
        self.n += n
        self._show(force=self.total is not None and self.n >= self.total)

    def set_postfix_str(self, s: str = "", refresh: bool = True) -> None:
        self._postfix = s

    def write(self, s: str, file: TextIO | None = None) -> None:
        print(s, file=file or sys.stderr)

    def close(self) -> None:
        self._show(force=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _show(self, *, force: bool = False) -> None:
        now = time.monotonic()
        if not self.enabled or (not force and now - self._last < 1.0):
            return
        self._last = now
        elapsed = now - self._started
        rate = (self.n - self._start_n) / elapsed if elapsed > 0 else 0.0
        done = f"{self.n:g}/{self.total:g}" if self.total is not None else f"{self.n:g}"
        eta = ""
        if self.total is not None and rate > 0:
            eta = f"<{_clock((self.total - self.n) / rate)}"
        tail = f", {self._postfix}" if self._postfix else ""
        print(
            f"{self.desc}: {done} {self.unit} [{_clock(elapsed)}{eta}, {rate:.2f} {self.unit}/s"
            f"{tail}]",
            file=sys.stderr,
            flush=True,
        )


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"
