"""A line-streaming serial device on a pseudo-terminal: the homunculus boards, emulated.

The ESP32 of the homunculus arm and glove prints one line of space-separated integers per
reading. :class:`LineDeviceEmulator` does the same on a pty at ``rate_hz``; a test (or a person
trying lr without the hardware) sets the values the "sensors" read::

    with LineDeviceEmulator(16) as glove:
        teleop = HomunculusGlove(HomunculusGloveConfig(port=glove.port, side="right"))
        glove.set([2000] * 16)

Lines are written from a thread of the calling process (the reader on the other side is any
process: lr, LeRobot, a terminal).
"""

from __future__ import annotations

import os
import termios
import threading
import time
import tty
from collections.abc import Sequence
from types import TracebackType


class LineDeviceEmulator:
    """``count`` integers per line at ``rate_hz`` on a pty (:attr:`port`)."""

    def __init__(self, count: int, rate_hz: float = 100.0, initial: int = 2048) -> None:
        self.count = count
        self.rate_hz = rate_hz
        self._values = [initial] * count
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._master = self._slave = -1
        self.port = ""

    def set(self, values: Sequence[int]) -> None:
        """The readings of the next lines (``count`` integers)."""
        if len(values) != self.count:
            raise ValueError(f"expected {self.count} values, got {len(values)}")
        with self._lock:
            self._values = [int(v) for v in values]

    def set_one(self, index: int, value: int) -> None:
        """Change one reading."""
        with self._lock:
            self._values[index] = int(value)

    def start(self) -> str:
        """Open the pty and start streaming; returns the port path."""
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)
        os.set_blocking(self._master, False)
        self.port = os.ttyname(self._slave)
        self._thread = threading.Thread(target=self._run, daemon=True, name="line-emulator")
        self._thread.start()
        return self.port

    def _run(self) -> None:
        period = 1.0 / self.rate_hz
        next_t = time.perf_counter()
        while not self._stop.is_set():
            with self._lock:
                line = " ".join(map(str, self._values)) + "\r\n"
            try:
                os.write(self._master, line.encode())
            except BlockingIOError:
                # nobody is reading: drop the backlog, as a USB serial device's buffer would
                termios.tcflush(self._slave, termios.TCIFLUSH)
            except OSError:
                return
            next_t += period
            self._stop.wait(max(0.0, next_t - time.perf_counter()))

    def stop(self) -> None:
        """Stop streaming and close the pty."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
        for fd in (self._master, self._slave):
            if fd >= 0:
                os.close(fd)
        self._master = self._slave = -1

    def __enter__(self) -> LineDeviceEmulator:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
