"""Ctrl-C, SIGTERM and SIGHUP during recording: acted on between dataset operations, never
inside one.

An interrupt raised in the middle of ``add_frame`` could leave a frame half-buffered (the
camera's encoder has it, the state column not yet). :class:`InterruptGate` turns the three
signals into :class:`~lr_robots.control.safety.Stopped` (``"Ctrl-C"``, ``"SIGTERM"``,
``"SIGHUP"``) as the teleoperation loop does, except inside :meth:`InterruptGate.hold`, where
the signal is noted and raised when the block ends.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from lr_robots.control.safety import STOP_SIGNALS, Stopped

_NAMES = {signal.SIGINT: "Ctrl-C"}


class InterruptGate:
    """Installs the handlers while active (a context manager); see the module docstring."""

    def __init__(self) -> None:
        self.pending: str | None = None
        self._held = 0
        self._previous: dict[int, Any] = {}

    def _handler(self, signum: int, frame: object) -> None:
        name = _NAMES.get(signum) or signal.Signals(signum).name
        if self._held:
            self.pending = self.pending or name
            return
        raise Stopped(name)

    def __enter__(self) -> InterruptGate:
        for sig in (signal.SIGINT, *STOP_SIGNALS):
            self._previous[sig] = signal.signal(sig, self._handler)
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, old in self._previous.items():
            signal.signal(sig, old)
        self._previous.clear()

    @contextmanager
    def hold(self) -> Iterator[None]:
        """Within the block a signal is noted; it is raised when the block ends."""
        self._held += 1
        try:
            yield
        finally:
            self._held -= 1
        if not self._held and self.pending is not None:
            name, self.pending = self.pending, None
            raise Stopped(name)
