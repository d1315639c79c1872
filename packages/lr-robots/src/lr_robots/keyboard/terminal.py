"""Keys from a terminal (works over SSH and without a display): the ``terminal`` back end.

:class:`TerminalKeyboard` puts the terminal in cbreak mode without echo (signals stay on, so
Ctrl+C still interrupts), reads its bytes on a thread and decodes them with
:class:`~lr_robots.keyboard.parser.TerminalParser`. At start it asks the terminal whether it
speaks the kitty keyboard protocol (``CSI ? u``, followed by the device-attributes query
``CSI c`` that every terminal answers, so no fixed wait is needed); if so it enables flags 11
(key releases and repeats, every key as an escape code) and keys are held exactly as long as
they are down. Otherwise a key counts as held until ``hold_s`` passes without its auto-repeat.
Focus reporting (``CSI ? 1004 h``) releases every key when the terminal window loses focus.

Restoring the terminal (kitty flags popped, focus reporting off, the saved termios attributes
back) happens in :meth:`stop`, at interpreter exit, and on SIGTERM/SIGHUP when no other handler
was installed; under the kitty protocol Ctrl+C arrives as a key, so the reader raises SIGINT
itself.

POSIX only (``termios``); on Windows use the ``pynput`` back end.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import select
import signal
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from lr_core.errors import ConfigError, HardwareError
from lr_robots.keyboard.events import HeldKeys, KeyEvent
from lr_robots.keyboard.parser import RELEASE, Decoded, TerminalParser

logger = logging.getLogger(__name__)

KITTY_QUERY = b"\x1b[?u\x1b[c"
KITTY_PUSH = b"\x1b[>11u"
KITTY_POP = b"\x1b[<u"
FOCUS_ON = b"\x1b[?1004h"
FOCUS_OFF = b"\x1b[?1004l"


class TerminalKeyboard:
    """Reads keys from a tty (see the module docstring).

    Args:
        on_event: called (on the reader thread) with every :class:`KeyEvent`.
        fd: a tty file descriptor to read (and write the queries to); default: standard input
            if it is a terminal, else ``/dev/tty``.
        hold_s: without the kitty protocol, how long a key stays held after its last byte.
            Longer than the keyboard's auto-repeat interval (30-40 ms); the first repeat comes
            only after the repeat delay (250-600 ms), so holding a key moves a little, pauses,
            then moves steadily.
        kitty: ``"auto"`` (ask the terminal), ``True`` (assume it), ``False`` (never ask).
        negotiate_timeout_s: how long to wait for the terminal's answer at start.

    Raises (from :meth:`start`):
        HardwareError: no terminal to read (not a tty, or no ``termios``).
    """

    name = "terminal"

    def __init__(
        self,
        on_event: Callable[[KeyEvent], None] | None = None,
        fd: int | None = None,
        hold_s: float = 0.15,
        kitty: bool | str = "auto",
        negotiate_timeout_s: float = 0.5,
    ) -> None:
        if kitty not in ("auto", True, False):
            raise ConfigError(f"kitty must be 'auto', true or false, got {kitty!r}")
        self._fd_arg = fd
        self._fd: int | None = None
        self._own_fd = False
        self._kitty_mode = kitty
        self.negotiate_timeout_s = negotiate_timeout_s
        self.hold_s = hold_s
        #: Whether the terminal reports key releases (kitty protocol on).
        self.reports_release = False
        self.held = HeldKeys(hold_s, on_event)
        self._parser = TerminalParser()
        self._saved_attrs: list[Any] | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._wake_r, self._wake_w = -1, -1
        self._restore_lock = threading.Lock()
        self._signal_handlers: dict[int, Any] = {}

    # ------------------------------------------------------------------ lifecycle

    @property
    def running(self) -> bool:
        """Whether the reader thread runs."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Switch the terminal to cbreak mode, negotiate, and start reading."""
        try:
            import termios
        except ImportError as exc:  # Windows
            raise HardwareError(
                "the terminal keyboard needs termios (POSIX); use backend 'pynput'"
            ) from exc
        self._fd = self._open_fd()
        self._saved_attrs = termios.tcgetattr(self._fd)
        attrs = termios.tcgetattr(self._fd)
        attrs[3] &= ~(termios.ICANON | termios.ECHO)  # lflag: no line buffering, no echo
        attrs[6][termios.VMIN] = 1
        attrs[6][termios.VTIME] = 0
        termios.tcsetattr(self._fd, termios.TCSANOW, attrs)
        atexit.register(self.restore)
        self._install_signal_handlers()
        self._wake_r, self._wake_w = os.pipe()
        self._stop.clear()
        try:
            self._write(FOCUS_ON)
            pending = self._negotiate()
        except BaseException:
            self.restore()
            raise
        self._thread = threading.Thread(target=self._run, name="terminal-keyboard", daemon=True)
        self._thread.start()
        for item in pending:
            self._handle(item, time.monotonic())

    def stop(self) -> None:
        """Stop reading and restore the terminal (idempotent)."""
        self._stop.set()
        if self._wake_w >= 0:
            with contextlib.suppress(OSError):
                os.write(self._wake_w, b"x")
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=2)
        self._thread = None
        self.restore()
        self.held.release_all()

    def restore(self) -> None:
        """Put the terminal back as it was (safe to call from atexit and signal handlers)."""
        with self._restore_lock:
            fd, attrs = self._fd, self._saved_attrs
            if fd is None:
                return
            self._saved_attrs = None
            with contextlib.suppress(OSError):
                if self.reports_release:
                    self._write(KITTY_POP)
                self._write(FOCUS_OFF)
            if attrs is not None:
                import termios

                with contextlib.suppress(termios.error, OSError):
                    termios.tcsetattr(fd, termios.TCSADRAIN, attrs)
            self.reports_release = False
            self._fd = None
            for pipe_fd in (self._wake_r, self._wake_w):
                if pipe_fd >= 0:
                    with contextlib.suppress(OSError):
                        os.close(pipe_fd)
            self._wake_r = self._wake_w = -1
            if self._own_fd:
                with contextlib.suppress(OSError):
                    os.close(fd)
            self._uninstall_signal_handlers()
        with contextlib.suppress(Exception):
            atexit.unregister(self.restore)

    # ------------------------------------------------------------------ terminal I/O

    def _open_fd(self) -> int:
        if self._fd_arg is not None:
            if not os.isatty(self._fd_arg):
                raise HardwareError(f"file descriptor {self._fd_arg} is not a terminal")
            return self._fd_arg
        with contextlib.suppress(AttributeError, ValueError, OSError):
            if sys.stdin is not None and sys.stdin.isatty():
                return sys.stdin.fileno()
        try:
            fd = os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY)
        except OSError as exc:
            raise HardwareError(
                "no terminal to read keys from (standard input is not a tty and /dev/tty "
                "cannot be opened); run in a terminal, or use backend 'pynput' on a desktop"
            ) from exc
        self._own_fd = True
        return fd

    def _write(self, data: bytes) -> None:
        assert self._fd is not None
        os.write(self._fd, data)

    def _negotiate(self) -> list[Decoded]:
        """Ask about the kitty protocol; return the key items read meanwhile."""
        if self._kitty_mode is False:
            return []
        if self._kitty_mode is True:
            self._write(KITTY_PUSH)
            self.reports_release = True
            self.held.hold_s = None
            return []
        assert self._fd is not None
        self._write(KITTY_QUERY)
        deadline = time.monotonic() + self.negotiate_timeout_s
        supported = False
        keys: list[Decoded] = []
        while (remaining := deadline - time.monotonic()) > 0:
            ready, _, _ = select.select([self._fd], [], [], remaining)
            if not ready:
                break
            data = os.read(self._fd, 1024)
            if not data:
                break
            done = False
            for item in self._parser.feed(data, time.monotonic()):
                if item.kitty_flags is not None:
                    supported = True
                elif item.device_attributes:
                    done = True
                else:
                    keys.append(item)
            if done:
                break
        if supported:
            self._write(KITTY_PUSH)
            self.reports_release = True
            self.held.hold_s = None
        logger.info(
            "terminal keyboard: %s",
            "kitty protocol (key releases)" if supported else f"plain (keys held {self.hold_s} s)",
        )
        return keys

    def _run(self) -> None:
        fd = self._fd
        while not self._stop.is_set() and fd is not None:
            pending = self._parser.pending_since
            timeout = 0.05 if pending is None else self._parser.esc_timeout_s / 2
            try:
                ready, _, _ = select.select([fd, self._wake_r], [], [], timeout)
            except (OSError, ValueError):
                break
            now = time.monotonic()
            if fd in ready:
                try:
                    data = os.read(fd, 1024)
                except OSError:
                    break
                if not data:
                    break
                for item in self._parser.feed(data, now):
                    self._handle(item, now)
            for item in self._parser.flush(now):
                self._handle(item, now)

    def _handle(self, item: Decoded, now: float) -> None:
        if item.interrupt:
            signal.raise_signal(signal.SIGINT)  # Ctrl+C under the kitty protocol
            return
        if item.focus is False:
            self.held.release_all(now)
            return
        if item.key is None:
            return
        if item.event == RELEASE:
            self.held.release(item.key, now)
        else:
            self.held.press(item.key, now)

    # ------------------------------------------------------------------ signals

    def _install_signal_handlers(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        for signum in (signal.SIGTERM, signal.SIGHUP):
            previous = signal.getsignal(signum)
            if previous in (signal.SIG_DFL, None):
                self._signal_handlers[signum] = previous
                signal.signal(signum, self._on_signal)

    def _uninstall_signal_handlers(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        for signum, previous in self._signal_handlers.items():
            if signal.getsignal(signum) == self._on_signal:
                signal.signal(signum, previous or signal.SIG_DFL)
        self._signal_handlers.clear()

    def _on_signal(self, signum: int, frame: Any) -> None:
        self.restore()
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)
