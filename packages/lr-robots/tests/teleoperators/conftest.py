"""A pseudo-terminal typing keys with the kitty keyboard protocol (exact presses and releases)
into the shared keyboard that the teleoperators under test join."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from lr_robots.keyboard import open_keyboard

#: kitty key codes / sequences of the keys the tests press.
_CODES = {"shift": 57441, "shift_r": 57447, "ctrl_l": 57442, "ctrl_r": 57448}
_FINALS = {"up": "A", "down": "B", "right": "C", "left": "D"}
_TILDES = {"page_up": 5, "page_down": 6}


def kitty(key: str, pressed: bool) -> bytes:
    """The kitty-protocol bytes of ``key`` going down or up."""
    event = "1" if pressed else "3"
    if key in _FINALS:
        return f"\x1b[1;1:{event}{_FINALS[key]}".encode()
    if key in _TILDES:
        return f"\x1b[{_TILDES[key]};1:{event}~".encode()
    code = _CODES.get(key, ord(key) if len(key) == 1 else None)
    assert code is not None, key
    return f"\x1b[{code};1:{event}u".encode()


@dataclass
class Keys:
    """Press and release keys on the terminal; each call waits until the reader saw it."""

    master: int
    keyboard: object

    def press(self, *keys: str) -> None:
        for key in keys:
            os.write(self.master, kitty(key, True))
        self._wait(lambda held: set(keys) <= held)

    def release(self, *keys: str) -> None:
        for key in keys:
            os.write(self.master, kitty(key, False))
        self._wait(lambda held: not set(keys) & held)

    def _wait(self, done) -> None:
        deadline = time.monotonic() + 5
        while not done(self.keyboard.pressed()):
            assert time.monotonic() < deadline, "the reader did not see the keys"
            time.sleep(0.002)


@pytest.fixture
def keys() -> Iterator[Keys]:
    master, slave = os.openpty()
    keyboard = open_keyboard("terminal", fd=slave, kitty=True)
    try:
        yield Keys(master, keyboard)
    finally:
        keyboard.close()
        os.close(master)
        os.close(slave)


def _step(teleop, dt: float):
    teleop._last_step = time.perf_counter() - dt
    return teleop.get_action()


@pytest.fixture
def step():
    """``step(teleop, dt)``: ``teleop.get_action()`` as if ``dt`` s passed since the last."""
    return _step
