"""Serial ports of servo controller boards: list them, spot the one that changes, tell an
emulator's pseudo-terminal from a real adapter.

:func:`find_port` asks the user to unplug (or plug in) the board and reports the port that
disappeared (or appeared). The listing and the prompt are injectable so the logic is testable.
:func:`is_pseudo_terminal` says whether a port is a pty (the servo emulator's), which gets a
longer reply timeout (:data:`lr_motors.bus.PTY_REPLY_TIMEOUT_MS`).
"""

from __future__ import annotations

import glob
import os
import re
import stat
import sys
import time
from collections.abc import Callable, Iterable

from lr_core.errors import HardwareError
from lr_core.prompts import ask


class PortNotFoundError(HardwareError):
    """No single port changed between the two listings."""


def list_ports(patterns: Iterable[str] = ()) -> list[str]:
    """Serial ports the OS reports (pyserial), plus paths matching the glob ``patterns``."""
    from serial.tools import list_ports as lp

    found = {port.device for port in lp.comports()}
    for pattern in patterns:
        found.update(glob.glob(pattern))
    return sorted(found)


def port_change(before: Iterable[str], after: Iterable[str]) -> str:
    """The one port present in only one of the listings; raises otherwise."""
    before, after = set(before), set(after)
    removed, added = before - after, after - before
    changed = removed | added
    if len(changed) == 1:
        return changed.pop()
    if not changed:
        raise PortNotFoundError(
            "no serial port appeared or disappeared; check the USB cable (some cables carry "
            "power only) and try again"
        )
    raise PortNotFoundError(
        f"several ports changed ({', '.join(sorted(changed))}); unplug other USB devices and "
        "try again"
    )


def _ask(question: str) -> str:
    return ask(
        question, "lr find-port", "run it in a terminal (or list the ports: --list_only=true)"
    )


def find_port(
    list_fn: Callable[[], list[str]] = list_ports,
    input_fn: Callable[[str], str] = _ask,
    print_fn: Callable[[str], None] = print,
    settle_s: float = 0.5,
) -> str:
    """Interactive: list ports, ask to unplug (or plug in) the board, return its port.

    Raises:
        PortNotFoundError: not exactly one port changed.
        NoTerminalError: nobody can press Enter (standard input closed).
    """
    before = list_fn()
    print_fn("Ports before: " + (", ".join(before) or "(none)"))
    input_fn("Unplug the USB cable of your motors board (or plug it in), then press Enter.")
    time.sleep(settle_s)
    after = list_fn()
    print_fn("Ports after: " + (", ".join(after) or "(none)"))
    port = port_change(before, after)
    print_fn(f"The port of this board is '{port}'.")
    if port in before:
        print_fn("Plug the USB cable back in.")
    return port


#: Linux's Unix98 pty slaves (``/dev/pts/N``): device majors 136 to 143 (UNIX98_PTY_SLAVE_MAJOR
#: and the 7 after it, ``Documentation/admin-guide/devices.txt``)
_PTY_SLAVE_MAJORS = range(136, 144)


def is_pseudo_terminal(port: str) -> bool:
    """Whether ``port`` (a path, symlinks followed) is a pseudo-terminal, such as the servo
    emulator's, rather than a serial adapter. On Linux by the device's major number, elsewhere
    by the name (``/dev/ttysNNN`` on macOS); ``False`` for a path that does not exist (yet)."""
    try:
        info = os.stat(port)
    except OSError:
        return False
    if not stat.S_ISCHR(info.st_mode):
        return False
    if sys.platform.startswith("linux"):
        return os.major(info.st_rdev) in _PTY_SLAVE_MAJORS
    return re.fullmatch(r"/dev/ttys\d+", os.path.realpath(port)) is not None
