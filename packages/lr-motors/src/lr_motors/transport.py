"""The vendor-neutral contract between a bus and its wire: one object per serial port.

A transport sends one instruction and decodes the answer; it raises :class:`CommFailure` on a
timeout or a corrupt reply and never retries. Retries, counters and error messages that name
motors and registers belong to :class:`lr_motors.bus.SerialBus`.
"""

from __future__ import annotations

from typing import Protocol


class CommFailure(Exception):
    """One transaction failed: ``kind`` is ``"timeout"``, ``"corrupt"`` or ``"port"``.

    ``ids`` names the motors whose reply is missing or bad (empty when unknown).
    """

    def __init__(self, kind: str, detail: str, ids: tuple[int, ...] = ()) -> None:
        super().__init__(detail)
        self.kind = kind
        self.ids = ids


class Transport(Protocol):
    """What a bus needs from the wire. Values are unsigned register contents."""

    @property
    def is_open(self) -> bool:
        """Whether the port is open."""
        ...

    @property
    def baudrate(self) -> int:
        """Current baud rate of the port."""
        ...

    def open(self) -> None:
        """Open the port (raises ``OSError`` when it cannot)."""

    def close(self) -> None:
        """Close the port."""

    def set_baudrate(self, baudrate: int) -> None:
        """Change the port's baud rate."""

    def ping(self, motor_id: int) -> tuple[int, int]:
        """``(model number, status error byte)`` of one servo."""
        ...

    def broadcast_ping(self) -> dict[int, int]:
        """``{id: model number}`` of every servo that answers a broadcast ping."""
        ...

    def read(self, motor_id: int, address: int, size: int) -> tuple[int, int]:
        """``(value, status error byte)``."""
        ...

    def write(self, motor_id: int, address: int, size: int, value: int) -> int:
        """Write and wait for the status packet; returns its error byte."""
        ...

    def sync_read(self, ids: list[int], address: int, size: int) -> dict[int, tuple[int, int]]:
        """``{id: (value, error byte)}`` for every id, in one transaction."""
        ...

    def send_sync_read(self, ids: list[int], address: int, size: int) -> None:
        """The request half of :meth:`sync_read` (optional: :meth:`SerialBus.start_sync_read`
        uses it when present)."""

    def receive_sync_read(
        self, ids: list[int], address: int, size: int
    ) -> dict[int, tuple[int, int]]:
        """The replies to the last :meth:`send_sync_read` (optional, with it)."""
        ...

    def sync_write(self, address: int, size: int, values: dict[int, int]) -> None:
        """Write one register on many servos in one broadcast packet (no reply)."""

    def describe_error(self, error: int) -> str:
        """Human words for a status error byte."""
        ...
