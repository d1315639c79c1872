"""Key events and the set of keys held down, shared by every keyboard back end.

Key names follow pynput's (what LeRobot's keyboard teleoperators compare against): a printable
key is its character, lower case for letters (``"w"``, ``"+"``, ``"="``); other keys are
``"up" "down" "left" "right" "esc" "enter" "tab" "space" "backspace" "delete" "insert"
"home" "end" "page_up" "page_down" "f1".."f12"`` and the modifiers ``"shift" "shift_r"
"ctrl_l" "ctrl_r" "alt_l" "alt_r" "cmd" "cmd_r"`` (left ones first, as pynput's
``Key.shift``/``Key.shift_r``).

:class:`HeldKeys` turns presses and releases into "which keys are down now". Back ends that
report real releases (pynput, terminals speaking the kitty keyboard protocol) release keys when
told; a plain terminal sends only a byte per press and per auto-repeat, so there a key counts as
held until ``hold_s`` passes without a byte for it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

ARROWS = ("up", "down", "left", "right")
MODIFIERS = ("shift", "shift_r", "ctrl_l", "ctrl_r", "alt_l", "alt_r", "cmd", "cmd_r")


@dataclass(frozen=True)
class KeyEvent:
    """A key going down (``pressed``) or up, at ``time`` (``time.monotonic()``, s)."""

    key: str
    pressed: bool
    time: float


def normalise_char(char: str) -> str:
    """``"W"`` -> ``"w"`` (a shifted letter is its key); other characters unchanged."""
    return char.lower() if len(char) == 1 and char.isalpha() else char


class HeldKeys:
    """Which keys are down, fed by a back end's presses/releases (thread-safe).

    ``hold_s``: for back ends without releases, how long after its last byte a key still
    counts as held (``None``: wait for real releases). ``listener`` receives every event.
    """

    def __init__(
        self, hold_s: float | None, listener: Callable[[KeyEvent], None] | None = None
    ) -> None:
        self.hold_s = hold_s
        self._listener = listener
        self._lock = threading.Lock()
        self._last: dict[str, float] = {}

    def press(self, key: str, now: float | None = None) -> None:
        """``key`` is down (a first press, or an auto-repeat that keeps it down)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            expired = self._expire(now)
            first = key not in self._last
            self._last[key] = now
        for event in expired:
            self._emit(event)
        if first:
            self._emit(KeyEvent(key, True, now))

    def release(self, key: str, now: float | None = None) -> None:
        """``key`` went up."""
        now = time.monotonic() if now is None else now
        with self._lock:
            held = self._last.pop(key, None) is not None
        if held:
            self._emit(KeyEvent(key, False, now))

    def release_all(self, now: float | None = None) -> None:
        """Every key up (the terminal lost focus, the back end stopped)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            keys = list(self._last)
            self._last.clear()
        for key in keys:
            self._emit(KeyEvent(key, False, now))

    def pressed(self, now: float | None = None) -> frozenset[str]:
        """The keys down at ``now``."""
        now = time.monotonic() if now is None else now
        with self._lock:
            expired = self._expire(now)
            keys = frozenset(self._last)
        for event in expired:
            self._emit(event)
        return keys

    def _expire(self, now: float) -> list[KeyEvent]:
        if self.hold_s is None:
            return []
        gone = [k for k, t in self._last.items() if now - t > self.hold_s]
        for key in gone:
            del self._last[key]
        return [KeyEvent(k, False, now) for k in gone]

    def _emit(self, event: KeyEvent) -> None:
        if self._listener is not None:
            self._listener(event)
