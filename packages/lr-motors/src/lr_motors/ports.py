"""Finding the serial port of a servo controller board: list ports, spot the one that changes.

:func:`find_port` asks the user to unplug (or plug in) the board and reports the port that
disappeared (or appeared). The listing and the prompt are injectable so the logic is testable.
"""

from __future__ import annotations

import glob
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
