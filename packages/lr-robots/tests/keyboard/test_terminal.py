"""The terminal reader on a real pseudo-terminal: the test plays the terminal on the master
side (answering the start-up queries, typing keys), the reader owns the slave side."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import termios
import threading
import time

import pytest

from lr_robots.keyboard.terminal import (
    FOCUS_OFF,
    FOCUS_ON,
    KITTY_POP,
    KITTY_PUSH,
    KITTY_QUERY,
    TerminalKeyboard,
)

DA1_REPLY = b"\x1b[?62;22c"
KITTY_REPLY = b"\x1b[?0u"


@pytest.fixture
def pty_pair():
    master, slave = os.openpty()
    yield master, slave
    for fd in (master, slave):
        try:
            os.close(fd)
        except OSError:
            pass


def read_master(master: int, want: bytes, timeout: float = 5.0) -> bytes:
    """Read from the terminal side until ``want`` has been seen."""
    got = b""
    deadline = time.monotonic() + timeout
    while want not in got:
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"never saw {want!r}, got {got!r}"
        ready, _, _ = select.select([master], [], [], remaining)
        if ready:
            got += os.read(master, 1024)
    return got


def wait_for(condition, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.005)


def start(keyboard: TerminalKeyboard, master: int, reply: bytes | None) -> bytes:
    """Start ``keyboard`` in a thread while answering its query like a terminal would."""
    thread = threading.Thread(target=keyboard.start)
    thread.start()
    seen = read_master(master, KITTY_QUERY)
    if reply is not None:
        os.write(master, reply)
    thread.join(timeout=10)
    assert not thread.is_alive()
    return seen


def test_plain_terminal_cbreak_hold_and_restore(pty_pair):
    master, slave = pty_pair
    before = termios.tcgetattr(slave)
    kb = TerminalKeyboard(fd=slave, hold_s=0.5)
    assert FOCUS_ON in start(kb, master, DA1_REPLY)
    assert not kb.reports_release
    lflag = termios.tcgetattr(slave)[3]
    assert not lflag & termios.ICANON and not lflag & termios.ECHO and lflag & termios.ISIG
    os.write(master, b"w")
    wait_for(lambda: kb.held.pressed() == {"w"})
    wait_for(lambda: kb.held.pressed() == frozenset())  # no auto-repeat came: released
    os.write(master, b"\x1b[A")
    wait_for(lambda: "up" in kb.held.pressed())
    kb.stop()
    assert termios.tcgetattr(slave) == before
    tail = read_master(master, FOCUS_OFF)
    assert KITTY_PUSH not in tail and KITTY_POP not in tail


def test_kitty_terminal_reports_real_releases(pty_pair):
    master, slave = pty_pair
    kb = TerminalKeyboard(fd=slave, hold_s=0.05)
    start(kb, master, KITTY_REPLY + DA1_REPLY)
    assert kb.reports_release
    assert KITTY_PUSH in read_master(master, KITTY_PUSH)
    os.write(master, b"\x1b[119u\x1b[57447u")  # w and right shift down
    wait_for(lambda: kb.held.pressed() == {"w", "shift_r"})
    time.sleep(0.2)  # far longer than hold_s: still held, releases are real here
    assert kb.held.pressed() == {"w", "shift_r"}
    os.write(master, b"\x1b[119;1:3u")
    wait_for(lambda: kb.held.pressed() == {"shift_r"})
    os.write(master, b"\x1b[O")  # the window lost focus
    wait_for(lambda: kb.held.pressed() == frozenset())
    kb.stop()
    assert KITTY_POP in read_master(master, FOCUS_OFF)


def test_a_silent_terminal_means_plain_mode(pty_pair):
    master, slave = pty_pair
    kb = TerminalKeyboard(fd=slave, negotiate_timeout_s=0.1)
    start(kb, master, None)
    assert not kb.reports_release and kb.running
    kb.stop()
    assert not kb.running


def test_keys_typed_during_negotiation_are_kept(pty_pair):
    master, slave = pty_pair
    events = []
    kb = TerminalKeyboard(on_event=events.append, fd=slave, hold_s=5)
    start(kb, master, b"q" + DA1_REPLY)
    wait_for(lambda: "q" in kb.held.pressed())
    kb.stop()
    assert [(e.key, e.pressed) for e in events] == [("q", True), ("q", False)]


def test_ctrl_c_under_kitty_raises_sigint(pty_pair):
    master, slave = pty_pair
    got = threading.Event()
    previous = signal.signal(signal.SIGINT, lambda *_: got.set())
    kb = TerminalKeyboard(fd=slave, kitty=True)
    try:
        kb.start()
        os.write(master, b"\x1b[99;5u")
        wait_for(got.is_set)  # the handler runs in this (main) thread
    finally:
        kb.stop()
        signal.signal(signal.SIGINT, previous)


def test_not_a_terminal_is_a_clear_error(tmp_path):
    from lr_core.errors import HardwareError

    with open(tmp_path / "f", "w") as f:
        kb = TerminalKeyboard(fd=f.fileno())
        with pytest.raises(HardwareError, match="not a terminal"):
            kb.start()


CHILD = r"""
import sys, time
from lr_robots.keyboard import open_keyboard
with open_keyboard("terminal", kitty=False, hold_s=1.0) as kb:
    print("ready", flush=True)
    try:
        while True:
            for e in kb.events():
                print(("press" if e.pressed else "release"), e.key, flush=True)
            time.sleep(0.01)
    except KeyboardInterrupt:
        print("interrupted", flush=True)
"""


def _child_on_tty(slave: int) -> subprocess.Popen:
    def controlling_tty() -> None:
        import fcntl

        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    return subprocess.Popen(
        [sys.executable, "-c", CHILD],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        start_new_session=True,
        preexec_fn=controlling_tty,
    )


@pytest.mark.parametrize("how", ["ctrl-c", "sigterm"])
def test_a_program_restores_its_terminal_on_ctrl_c_and_sigterm(pty_pair, how):
    master, slave = pty_pair
    before = termios.tcgetattr(slave)
    child = _child_on_tty(slave)
    try:
        read_master(master, b"ready", timeout=30)
        os.write(master, b"a")
        read_master(master, b"press a")
        if how == "ctrl-c":
            os.write(master, b"\x03")  # the line discipline turns it into SIGINT
            read_master(master, b"interrupted")
            assert child.wait(timeout=10) == 0
        else:
            child.send_signal(signal.SIGTERM)
            assert child.wait(timeout=10) == -signal.SIGTERM
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert termios.tcgetattr(slave) == before  # echo and line mode are back
