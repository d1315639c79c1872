"""Keyboard input for teleoperation and loop controls, in a terminal (SSH) or on a desktop.

``open_keyboard()`` gives the keys held down (``pressed()``) and the press/release events
(``events()``), from a terminal in cbreak mode (any terminal, over SSH; key releases with the
kitty keyboard protocol) or from pynput on a desktop.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lr_core.lazy import lazy_exports

_EXPORTS: dict[str, str] = {
    "HeldKeys": "lr_robots.keyboard.events",
    "KeyEvent": "lr_robots.keyboard.events",
    "Keyboard": "lr_robots.keyboard.hub",
    "PynputKeyboard": "lr_robots.keyboard.pynput_backend",
    "TerminalKeyboard": "lr_robots.keyboard.terminal",
    "TerminalParser": "lr_robots.keyboard.parser",
    "choose_backend": "lr_robots.keyboard.hub",
    "open_keyboard": "lr_robots.keyboard.hub",
}

__all__, __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

if TYPE_CHECKING:
    from lr_robots.keyboard.events import HeldKeys, KeyEvent
    from lr_robots.keyboard.hub import Keyboard, choose_backend, open_keyboard
    from lr_robots.keyboard.parser import TerminalParser
    from lr_robots.keyboard.pynput_backend import PynputKeyboard
    from lr_robots.keyboard.terminal import TerminalKeyboard
