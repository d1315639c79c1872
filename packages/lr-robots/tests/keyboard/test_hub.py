"""The shared keyboard: back-end choice, several users of one terminal, closing."""

from __future__ import annotations

import importlib.util
import os
import termios
import time

import pytest

from lr_core.errors import ConfigError
from lr_robots.keyboard import choose_backend, open_keyboard


def test_auto_picks_pynput_only_where_it_can_capture(monkeypatch):
    if importlib.util.find_spec("pynput") is None:
        pytest.skip("needs pynput (lr-robots[pynput])")
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.delenv("XDG_SESSION_TYPE", raising=False)
    monkeypatch.delenv("DISPLAY", raising=False)
    assert choose_backend("auto") == "terminal"  # headless / SSH
    monkeypatch.setenv("DISPLAY", ":0")
    assert choose_backend("auto") == "pynput"
    monkeypatch.setenv("XDG_SESSION_TYPE", "wayland")
    assert choose_backend("auto") == "terminal"
    assert choose_backend("terminal") == "terminal"
    with pytest.raises(ConfigError, match="unknown keyboard backend 'x11'"):
        choose_backend("x11")


def wait_for(condition, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.005)


def test_two_users_share_one_terminal_reader():
    master, slave = os.openpty()
    try:
        before = termios.tcgetattr(slave)
        first = open_keyboard("terminal", fd=slave, kitty=False, hold_s=5.0)
        second = open_keyboard("terminal", fd=slave, kitty=False, hold_s=5.0)
        third = open_keyboard("terminal", hold_s=1.0)  # joins the running reader as it is
        assert third._backend is first._backend
        third.close()
        if importlib.util.find_spec("pynput") is not None:
            with pytest.raises(ConfigError, match="already open with the 'terminal'"):
                open_keyboard("pynput")
        assert first.backend_name == "terminal" and not first.reports_release
        os.write(master, b"n")
        wait_for(lambda: "n" in first.pressed())
        assert [(e.key, e.pressed) for e in first.events()] == [("n", True)]
        assert [(e.key, e.pressed) for e in second.events()] == [("n", True)]
        assert first.events() == []  # drained
        first.close()
        assert termios.tcgetattr(slave) != before  # the second user still reads
        assert "n" in second.pressed()
        second.close()
        second.close()  # idempotent
        assert termios.tcgetattr(slave) == before
    finally:
        os.close(master)
        os.close(slave)
