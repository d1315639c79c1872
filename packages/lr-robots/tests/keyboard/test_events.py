"""Held keys: real releases, and releases inferred from a terminal's silence."""

from __future__ import annotations

from lr_robots.keyboard.events import HeldKeys, KeyEvent


def test_real_releases():
    events: list[KeyEvent] = []
    held = HeldKeys(None, events.append)
    held.press("w", 0.0)
    held.press("w", 0.1)  # a repeat is not a second press
    held.press("a", 0.2)
    assert held.pressed(10.0) == {"w", "a"}  # no release without a release
    held.release("w", 10.1)
    assert held.pressed(10.2) == {"a"}
    assert [(e.key, e.pressed) for e in events] == [("w", True), ("a", True), ("w", False)]
    held.release_all(11.0)
    assert held.pressed(11.0) == frozenset() and events[-1] == KeyEvent("a", False, 11.0)


def test_silence_releases_a_terminal_key_after_hold_s():
    events: list[KeyEvent] = []
    held = HeldKeys(0.15, events.append)
    held.press("w", 0.0)
    assert held.pressed(0.1) == {"w"}
    held.press("w", 0.12)  # auto-repeat keeps it down
    assert held.pressed(0.25) == {"w"}
    assert held.pressed(0.3) == frozenset()
    held.press("w", 1.0)
    assert [(e.key, e.pressed, e.time) for e in events] == [
        ("w", True, 0.0),
        ("w", False, 0.3),
        ("w", True, 1.0),
    ]
