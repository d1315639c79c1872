"""Dynamixel Protocol 2.0 transactions through ROBOTIS' dynamixel-sdk."""

from __future__ import annotations

import dynamixel_sdk as dxl

from lr_motors.transport import CommFailure

_CORRUPT = {dxl.COMM_RX_CORRUPT}
#: longest a single read() of the port blocks (s)
_READ_BLOCK_S = 0.002
_TIMEOUT = {dxl.COMM_RX_TIMEOUT, dxl.COMM_RX_FAIL}


class DynamixelTransport:
    """One serial port driven by dynamixel-sdk's PortHandler / PacketHandler(2.0).

    A reply must arrive within the time to transmit it plus ``timeout_ms`` (the SDK's own
    formula allows a fixed 34 ms, which a loaded machine can miss).
    """

    def __init__(self, port: str, baudrate: int, timeout_ms: float) -> None:
        self.port = port
        self._baudrate = baudrate
        self.timeout_ms = timeout_ms
        self.port_handler = dxl.PortHandler(port)
        self.packet_handler = dxl.PacketHandler(2.0)
        handler = self.port_handler

        def set_packet_timeout(packet_length: int) -> None:
            handler.packet_start_time = handler.getCurrentTime()
            handler.packet_timeout = handler.tx_time_per_byte * packet_length + timeout_ms

        self.port_handler.setPacketTimeout = set_packet_timeout
        self._reader: dxl.GroupSyncRead | None = None
        self._reader_key: tuple[int, int, tuple[int, ...]] | None = None

    @property
    def is_open(self) -> bool:
        """Whether the port is open."""
        return bool(self.port_handler.is_open)

    @property
    def baudrate(self) -> int:
        """The port's baud rate."""
        return self._baudrate

    def open(self) -> None:
        """Open the port at the current baud rate."""
        self.port_handler.baudrate = self._baudrate
        try:
            ok = self.port_handler.openPort()
        except Exception as exc:  # pyserial raises SerialException (an OSError subclass)
            raise OSError(str(exc)) from exc
        if not ok:
            raise OSError(f"dynamixel-sdk could not open {self.port} at {self._baudrate} bps")
        self._block_reads()

    def _block_reads(self) -> None:
        # The SDK opens the port with timeout=0 and spins on read() until its packet timeout;
        # a short blocking read returns as soon as the requested bytes arrive and stops the spin.
        ser = self.port_handler.ser
        if ser is not None:  # None until the port is opened
            ser.timeout = _READ_BLOCK_S

    def close(self) -> None:
        """Close the port."""
        if self.port_handler.is_open:
            self.port_handler.closePort()

    def set_baudrate(self, baudrate: int) -> None:
        """Change the baud rate (dynamixel-sdk supports the standard rates only)."""
        if self.port_handler.is_open:
            if not self.port_handler.setBaudRate(baudrate):
                raise CommFailure("port", f"dynamixel-sdk cannot set {baudrate} bps on {self.port}")
            self._block_reads()
        self._baudrate = baudrate

    def describe_error(self, error: int) -> str:
        """Words for a status error byte."""
        return self.packet_handler.getRxPacketError(error).replace("[RxPacketError] ", "")

    def _check(self, comm: int, ids: tuple[int, ...] = ()) -> None:
        if comm == dxl.COMM_SUCCESS:
            return
        kind = "corrupt" if comm in _CORRUPT else "timeout" if comm in _TIMEOUT else "port"
        detail = self.packet_handler.getTxRxResult(comm).replace("[TxRxResult] ", "")
        raise CommFailure(kind, detail, ids)

    def _ready(self) -> None:
        # The SDK marks the port busy between sending and receiving; an exception raised in
        # between (Ctrl-C, SIGTERM) would leave it marked and every later call answering
        # "port is in use", even the torque-off that must follow. The bus already serialises
        # transactions, so the flag is cleared before each one.
        self.port_handler.is_using = False

    def ping(self, motor_id: int) -> tuple[int, int]:
        """PING: ``(model number, error)``."""
        self._ready()
        model, comm, error = self.packet_handler.ping(self.port_handler, motor_id)
        self._check(comm, (motor_id,))
        return model, error

    def broadcast_ping(self) -> dict[int, int]:
        """Every servo answering a broadcast PING: ``{id: model number}``."""
        self._ready()
        data, comm = self.packet_handler.broadcastPing(self.port_handler)
        if comm != dxl.COMM_SUCCESS:
            return {}
        return {motor_id: values[0] for motor_id, values in data.items()}

    def read(self, motor_id: int, address: int, size: int) -> tuple[int, int]:
        """READ ``size`` bytes at ``address``."""
        self._ready()
        data, comm, error = self.packet_handler.readTxRx(self.port_handler, motor_id, address, size)
        self._check(comm, (motor_id,))
        return int.from_bytes(bytes(data[:size]), "little"), error

    def write(self, motor_id: int, address: int, size: int, value: int) -> int:
        """WRITE and wait for the status packet."""
        data = list(value.to_bytes(size, "little"))
        self._ready()
        comm, error = self.packet_handler.writeTxRx(
            self.port_handler, motor_id, address, size, data
        )
        self._check(comm, (motor_id,))
        return error

    def sync_read(self, ids: list[int], address: int, size: int) -> dict[int, tuple[int, int]]:
        """GroupSyncRead's request, then each servo's status packet in turn (so a missing
        servo is named, and error bytes are kept)."""
        self.send_sync_read(ids, address, size)
        return self.receive_sync_read(ids, address, size)

    def send_sync_read(self, ids: list[int], address: int, size: int) -> None:
        """The request half of :meth:`sync_read` (the SDK clears stale input first)."""
        key = (address, size, tuple(ids))
        if self._reader is None or self._reader_key != key:
            self._reader = dxl.GroupSyncRead(self.port_handler, self.packet_handler, address, size)
            for motor_id in ids:
                self._reader.addParam(motor_id)
            self._reader_key = key
        self._ready()
        self._check(self._reader.txPacket())

    def receive_sync_read(
        self, ids: list[int], address: int, size: int
    ) -> dict[int, tuple[int, int]]:
        """The replies to the request :meth:`send_sync_read` sent: ``{id: (value, error)}``."""
        if self._reader_key != (address, size, tuple(ids)):
            raise CommFailure("port", f"no SYNC_READ of these servos was sent on {self.port}")
        out: dict[int, tuple[int, int]] = {}
        for motor_id in ids:
            data, comm, error = self.packet_handler.readRx(self.port_handler, motor_id, size)
            self._check(comm, (motor_id,))
            out[motor_id] = (int.from_bytes(bytes(data[:size]), "little"), error)
        return out

    def sync_write(self, address: int, size: int, values: dict[int, int]) -> None:
        """GroupSyncWrite (no reply)."""
        writer = dxl.GroupSyncWrite(self.port_handler, self.packet_handler, address, size)
        for motor_id, value in values.items():
            writer.addParam(motor_id, list(value.to_bytes(size, "little")))
        self._ready()
        self._check(writer.txPacket())
