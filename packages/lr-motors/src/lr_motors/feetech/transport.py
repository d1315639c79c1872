"""Feetech transactions over pyserial: one instruction out, the status packets back.

A reply is read in one blocking ``read(n)`` of the exact expected length (the whole SYNC_READ
answer at once), so the common case costs two system calls; anything unexpected (garbage,
short or corrupt packets) falls back to resynchronising on headers until the deadline. A
SYNC_READ can be split in two (:meth:`FeetechTransport.send_sync_read`, then
:meth:`FeetechTransport.receive_sync_read`) so one thread keeps requests to several ports in
flight at once.
"""

from __future__ import annotations

import os
import time

import serial

from lr_motors.feetech import protocol as p
from lr_motors.transport import CommFailure

#: how long a broadcast PING waits for a first answer (s)
BROADCAST_WINDOW_S = 0.3
#: after an answer, how long the line must stay quiet to end the broadcast PING (s)
BROADCAST_QUIET_S = 0.02


class FeetechTransport:
    """SCS/STS instructions on one serial port (``protocol`` 0 = STS/SMS, 1 = SCS)."""

    def __init__(self, port: str, baudrate: int, timeout_ms: float, protocol: int = 0) -> None:
        self.port = port
        self._baudrate = baudrate
        self.timeout_s = timeout_ms / 1000
        self.protocol = protocol
        self._serial: serial.Serial | None = None
        self._sync_read_key: tuple[int, int, tuple[int, ...]] | None = None
        self._sync_read_packet = b""
        self._sync_read_expected: list[tuple[int, int]] = []

    @property
    def is_open(self) -> bool:
        """Whether the port is open."""
        return self._serial is not None and self._serial.is_open

    @property
    def baudrate(self) -> int:
        """The port's baud rate."""
        return self._baudrate

    def open(self) -> None:
        """Open the port (``OSError`` when it cannot)."""
        try:
            self._serial = serial.Serial(self.port, self._baudrate, timeout=self.timeout_s)
        except serial.SerialException as exc:
            raise OSError(str(exc)) from exc

    def close(self) -> None:
        """Close the port."""
        if self._serial is not None:
            self._serial.close()
            self._serial = None

    def set_baudrate(self, baudrate: int) -> None:
        """Change the baud rate of the open port."""
        self._baudrate = baudrate
        if self._serial is not None:
            self._serial.baudrate = baudrate

    def describe_error(self, error: int) -> str:
        """Words for a status error byte."""
        return p.describe_error(error)

    # wire ------------------------------------------------------------------------------------
    def _send(self, packet: bytes, flush: bool = True) -> None:
        """Write ``packet``; ``flush`` first drops stale input (late replies of an earlier
        transaction). Written with ``os.write`` on the port's fd: pyserial's ``write`` adds
        a ``select`` per call."""
        ser = self._serial
        if ser is None:
            raise CommFailure("port", f"port {self.port} is closed")
        try:
            if flush:
                ser.reset_input_buffer()
            fd = ser.fileno()
            view = memoryview(packet)
            while view:
                view = view[os.write(fd, view) :]
        except (OSError, serial.SerialException) as exc:
            raise CommFailure("port", f"write to {self.port} failed: {exc}") from exc

    def _receive(self, expected: list[tuple[int, int]]) -> dict[int, p.Packet]:
        """Read one status packet per ``(id, n_params)`` in ``expected``, in order."""
        ser = self._serial
        assert ser is not None
        total = sum(p.STATUS_OVERHEAD + n for _, n in expected)
        deadline = time.monotonic() + self.timeout_s
        data = ser.read(total)
        if len(data) == total:
            fast = self._split(data, expected)
            if fast is not None:
                return fast
        return self._resync(bytearray(data), expected, deadline)

    @staticmethod
    def _split(data: bytes, expected: list[tuple[int, int]]) -> dict[int, p.Packet] | None:
        out: dict[int, p.Packet] = {}
        pos = 0
        for motor_id, n in expected:
            end = pos + p.STATUS_OVERHEAD + n
            if (
                data[pos] != 0xFF
                or data[pos + 1] != 0xFF
                or data[pos + 2] != motor_id
                or data[pos + 3] != n + 2
                or p.checksum(data[pos + 2 : end - 1]) != data[end - 1]
            ):
                return None
            out[motor_id] = p.Packet(motor_id, data[pos + 4], data[pos + 5 : end - 1])
            pos = end
        return out

    def _resync(
        self, buffer: bytearray, expected: list[tuple[int, int]], deadline: float
    ) -> dict[int, p.Packet]:
        """Slow path: find the expected packets among noise, until ``deadline``."""
        ser = self._serial
        assert ser is not None
        wanted = dict(expected)
        out: dict[int, p.Packet] = {}
        corrupt: list[int] = []
        while len(out) < len(wanted):
            try:
                packet, consumed = p.parse_packet(buffer)
            except p.FrameError as exc:
                drop: int = exc.args[1]  # up to the id byte of the bad packet
                if len(buffer) > drop:
                    corrupt.append(buffer[drop])
                del buffer[:drop]
                continue
            del buffer[:consumed]
            if packet is not None:
                if packet.id in wanted and len(packet.params) == wanted[packet.id]:
                    out[packet.id] = packet
                continue
            if time.monotonic() > deadline:
                break
            chunk = ser.read(max(1, ser.in_waiting))
            if not chunk and time.monotonic() > deadline:
                break
            buffer += chunk
        missing = tuple(i for i, _ in expected if i not in out)
        if missing:
            bad = [i for i in missing if i in corrupt]
            if bad:
                raise CommFailure("corrupt", "corrupt status packet (bad checksum)", missing)
            raise CommFailure("timeout", "no status packet before the timeout", missing)
        return out

    def _txrx(self, motor_id: int, inst: int, params: bytes, n_reply: int) -> p.Packet:
        self._send(p.instruction_packet(motor_id, inst, params))
        return self._receive([(motor_id, n_reply)])[motor_id]

    # instructions ----------------------------------------------------------------------------
    def ping(self, motor_id: int) -> tuple[int, int]:
        """PING, then READ the model number (as the vendor SDK does)."""
        self._txrx(motor_id, p.Instruction.PING, b"", 0)
        return self.read(motor_id, 3, 2)

    def broadcast_ping(self) -> dict[int, int]:
        """PING the broadcast id, collect every status packet, then read each model number."""
        self._send(p.instruction_packet(p.BROADCAST_ID, p.Instruction.PING))
        ser = self._serial
        assert ser is not None
        buffer = bytearray()
        # wait up to BROADCAST_WINDOW_S for a first answer, then until the line is quiet
        start = time.monotonic()
        deadline = start + max(self.timeout_s, BROADCAST_WINDOW_S)
        ids: list[int] = []
        # reads block at most the quiet time, not the reply timeout (250 ms on a pty), so the
        # window ends when the line has been quiet that long
        ser.timeout = min(self.timeout_s, BROADCAST_QUIET_S)
        try:
            while time.monotonic() < deadline:
                chunk = ser.read(max(1, ser.in_waiting))
                if chunk:
                    deadline = min(
                        start + 4 * BROADCAST_WINDOW_S, time.monotonic() + BROADCAST_QUIET_S
                    )
                buffer += chunk
                while True:
                    try:
                        packet, consumed = p.parse_packet(buffer)
                    except p.FrameError as exc:
                        del buffer[: exc.args[1]]
                        continue
                    del buffer[:consumed]
                    if packet is None:
                        break
                    ids.append(packet.id)
        finally:
            ser.timeout = self.timeout_s
        out: dict[int, int] = {}
        for motor_id in ids:
            for _ in range(3):
                try:
                    out[motor_id] = self.read(motor_id, 3, 2)[0]
                    break
                except CommFailure:
                    continue
        return out

    def read(self, motor_id: int, address: int, size: int) -> tuple[int, int]:
        """READ ``size`` bytes at ``address``."""
        reply = self._txrx(motor_id, p.Instruction.READ, p.read_params(address, size), size)
        return p.decode_value(reply.params, self.protocol), reply.code

    def write(self, motor_id: int, address: int, size: int, value: int) -> int:
        """WRITE and wait for the status packet."""
        data = p.encode_value(value, size, self.protocol)
        return self._txrx(motor_id, p.Instruction.WRITE, p.write_params(address, data), 0).code

    def reg_write(self, motor_id: int, address: int, size: int, value: int) -> int:
        """REG_WRITE: the servo stores the value and applies it on the next ACTION."""
        data = p.encode_value(value, size, self.protocol)
        return self._txrx(motor_id, p.Instruction.REG_WRITE, p.write_params(address, data), 0).code

    def action(self, motor_id: int = p.BROADCAST_ID) -> None:
        """ACTION: apply registered writes (to every servo by default; no reply then)."""
        if motor_id == p.BROADCAST_ID:
            self._send(p.instruction_packet(motor_id, p.Instruction.ACTION))
        else:
            self._txrx(motor_id, p.Instruction.ACTION, b"", 0)

    def sync_read(self, ids: list[int], address: int, size: int) -> dict[int, tuple[int, int]]:
        """SYNC_READ (protocol 0) or one READ per servo (protocol 1, which lacks SYNC_READ)."""
        self.send_sync_read(ids, address, size)
        return self.receive_sync_read(ids, address, size)

    def send_sync_read(self, ids: list[int], address: int, size: int) -> None:
        """The request half of :meth:`sync_read` (dropping stale input first); nothing is sent
        in protocol 1, whose reads go one by one in :meth:`receive_sync_read`."""
        if self.protocol == 1:
            return
        key = (address, size, tuple(ids))
        if self._sync_read_key != key:
            params = p.sync_read_params(address, size, ids)
            self._sync_read_packet = p.instruction_packet(
                p.BROADCAST_ID, p.Instruction.SYNC_READ, params
            )
            self._sync_read_expected = [(i, size) for i in ids]
            self._sync_read_key = key
        self._send(self._sync_read_packet)

    def receive_sync_read(
        self, ids: list[int], address: int, size: int
    ) -> dict[int, tuple[int, int]]:
        """The replies to the request :meth:`send_sync_read` sent: ``{id: (value, error)}``."""
        if self.protocol == 1:
            return {i: self.read(i, address, size) for i in ids}
        if self._sync_read_key != (address, size, tuple(ids)):
            raise CommFailure("port", f"no SYNC_READ of these servos was sent on {self.port}")
        replies = self._receive(self._sync_read_expected)
        return {i: (int.from_bytes(replies[i].params, "little"), replies[i].code) for i in ids}

    def sync_write(self, address: int, size: int, values: dict[int, int]) -> None:
        """SYNC_WRITE to the broadcast id (no reply)."""
        data = {i: p.encode_value(v, size, self.protocol) for i, v in values.items()}
        self._send(
            p.instruction_packet(
                p.BROADCAST_ID, p.Instruction.SYNC_WRITE, p.sync_write_params(address, size, data)
            ),
            flush=False,
        )
