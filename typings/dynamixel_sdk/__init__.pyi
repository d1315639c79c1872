# Type stubs for the part of ROBOTIS' dynamixel-sdk (3.7.x, untyped) that lr-motors uses:
# lr_motors/dynamixel/transport.py. Written from the SDK's source; pyright reads them through
# [tool.pyright] stubPath. Names not listed here are not used by lr.

from collections.abc import Callable

import serial

COMM_SUCCESS: int
COMM_PORT_BUSY: int
COMM_TX_FAIL: int
COMM_RX_FAIL: int
COMM_TX_ERROR: int
COMM_RX_WAITING: int
COMM_RX_TIMEOUT: int
COMM_RX_CORRUPT: int
COMM_NOT_AVAILABLE: int

class PortHandler:
    is_open: bool
    baudrate: int
    packet_start_time: float
    packet_timeout: float
    tx_time_per_byte: float
    is_using: bool
    port_name: str
    ser: serial.Serial | None
    # A method in the SDK; lr replaces it on the instance (transport.py), hence an attribute here.
    setPacketTimeout: Callable[[int], None]
    def __init__(self, port_name: str) -> None: ...
    def openPort(self) -> bool: ...
    def closePort(self) -> None: ...
    def setBaudRate(self, baudrate: int) -> bool: ...
    def getCurrentTime(self) -> float: ...

class Protocol2PacketHandler:
    def getTxRxResult(self, result: int) -> str: ...
    def getRxPacketError(self, error: int) -> str: ...
    def ping(self, port: PortHandler, dxl_id: int) -> tuple[int, int, int]:
        """``(model number, comm result, error byte)``."""
    def broadcastPing(self, port: PortHandler) -> tuple[dict[int, list[int]], int]:
        """``({id: [model number, firmware version]}, comm result)``."""
    def readRx(self, port: PortHandler, dxl_id: int, length: int) -> tuple[list[int], int, int]:
        """``(bytes read, comm result, error byte)``."""
    def readTxRx(
        self, port: PortHandler, dxl_id: int, address: int, length: int
    ) -> tuple[list[int], int, int]:
        """``(bytes read, comm result, error byte)``."""
    def writeTxRx(
        self, port: PortHandler, dxl_id: int, address: int, length: int, data: list[int]
    ) -> tuple[int, int]:
        """``(comm result, error byte)``."""

# lr speaks Protocol 2.0 only; PacketHandler(1.0) returns a Protocol1PacketHandler, not typed here.
def PacketHandler(protocol_version: float) -> Protocol2PacketHandler: ...

class GroupSyncRead:
    def __init__(
        self, port: PortHandler, ph: Protocol2PacketHandler, start_address: int, data_length: int
    ) -> None: ...
    def addParam(self, dxl_id: int) -> bool: ...
    def txPacket(self) -> int: ...

class GroupSyncWrite:
    def __init__(
        self, port: PortHandler, ph: Protocol2PacketHandler, start_address: int, data_length: int
    ) -> None: ...
    def addParam(self, dxl_id: int, data: list[int]) -> bool: ...
    def txPacket(self) -> int: ...
