"""Keys from the desktop's input system through pynput: the ``pynput`` back end.

Works where pynput can listen globally: an X11 session on Linux (not Wayland, not headless),
macOS with Input Monitoring allowed, Windows. Keys are read whichever window has the focus,
as in LeRobot. Releases are real, so keys are held exactly as long as they are down.
"""

from __future__ import annotations

import os
import platform
from collections.abc import Callable
from typing import Any

from lr_core.errors import HardwareError, require
from lr_robots.keyboard.events import HeldKeys, KeyEvent, normalise_char

_SPECIAL = {
    "shift_l": "shift",
    "ctrl": "ctrl_l",
    "alt": "alt_l",
    "alt_gr": "alt_r",
    "cmd_l": "cmd",
}


def pynput_can_capture() -> bool:
    """Whether a pynput listener can see keys here (LeRobot's test): X11 on Linux (a
    ``DISPLAY``, no Wayland session), always on macOS and Windows."""
    if platform.system() != "Linux":
        return True
    wayland = os.environ.get("XDG_SESSION_TYPE", "").lower() == "wayland" or bool(
        os.environ.get("WAYLAND_DISPLAY")
    )
    return bool(os.environ.get("DISPLAY")) and not wayland


def key_name(key: Any) -> str | None:
    """lr's name of a pynput key (``Key.shift_r`` -> ``"shift_r"``, ``KeyCode('W')`` -> ``"w"``)."""
    char = getattr(key, "char", None)
    if char:
        return normalise_char(char)
    name = getattr(key, "name", None)
    if name:
        return _SPECIAL.get(name, name)
    return None


class PynputKeyboard:
    """A pynput listener feeding :class:`HeldKeys` (needs ``lr-robots[pynput]``)."""

    name = "pynput"
    reports_release = True

    def __init__(self, on_event: Callable[[KeyEvent], None] | None = None) -> None:
        self.held = HeldKeys(None, on_event)
        self._listener: Any = None

    @property
    def running(self) -> bool:
        """Whether the listener thread runs."""
        return self._listener is not None and self._listener.is_alive()

    def start(self) -> None:
        """Start listening.

        Raises:
            MissingDependencyError: pynput is not installed.
            HardwareError: no display pynput can listen to.
        """
        if not pynput_can_capture():
            raise HardwareError(
                "pynput cannot read keys here (no X11 display, or Wayland); use the "
                "'terminal' keyboard back end"
            )
        require("pynput", "pynput", "lr-robots")
        try:
            from pynput import keyboard
        except Exception as exc:  # pynput imports its X11 backend at import time
            raise HardwareError(f"pynput cannot start: {exc}") from exc
        self._listener = keyboard.Listener(on_press=self._on_press, on_release=self._on_release)
        self._listener.start()
        self._listener.wait()

    def _on_press(self, key: Any) -> None:
        name = key_name(key)
        if name is not None:
            self.held.press(name)

    def _on_release(self, key: Any) -> None:
        name = key_name(key)
        if name is not None:
            self.held.release(name)

    def stop(self) -> None:
        """Stop listening (idempotent)."""
        if self._listener is not None:
            self._listener.stop()
            self._listener = None
        self.held.release_all()
