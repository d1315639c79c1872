"""Faithfulness: the vendors' own Python SDKs drive the emulator like real servos."""

from __future__ import annotations

import time

import dynamixel_sdk as dxl
import pytest
import scservo_sdk as scs


@pytest.fixture(autouse=True)
def patient_sdks(monkeypatch):
    """The SDKs wait 34 ms for a reply (2 x LATENCY_TIMER + 2); on a loaded machine the
    emulator process can wait longer than that (and than 100 ms: three Dynamixel tests timed
    out in one CI run beside other jobs) to be scheduled, so give it half a second. Only the
    tests that expect a timeout wait that long."""
    monkeypatch.setattr("scservo_sdk.port_handler.LATENCY_TIMER", 250)
    monkeypatch.setattr("dynamixel_sdk.port_handler.LATENCY_TIMER", 250)


@pytest.fixture
def sts_port(so101):
    port = scs.PortHandler(so101.port)
    assert port.openPort()
    assert port.setBaudRate(1_000_000)
    yield port
    port.closePort()


@pytest.fixture
def dxl_port(koch):
    port = dxl.PortHandler(koch.port)
    assert port.openPort()
    assert port.setBaudRate(1_000_000)
    yield port
    port.closePort()


def test_feetech_sdk_ping_read_write(sts_port, so101):
    handler = scs.PacketHandler(0)
    assert handler.ping(sts_port, 3) == (777, scs.COMM_SUCCESS, 0)
    assert handler.ping(sts_port, 42)[1] == scs.COMM_RX_TIMEOUT
    assert handler.read2ByteTxRx(sts_port, 3, 56) == (2048, scs.COMM_SUCCESS, 0)
    assert handler.write1ByteTxRx(sts_port, 3, 40, 1) == (scs.COMM_SUCCESS, 0)
    assert so101.register("elbow_flex", "Torque_Enable") == 1
    assert handler.write2ByteTxRx(sts_port, 3, 42, 2100) == (scs.COMM_SUCCESS, 0)
    assert handler.read2ByteTxRx(sts_port, 3, 42) == (2100, scs.COMM_SUCCESS, 0)


def test_feetech_sdk_sync_write_and_sync_read(sts_port):
    handler = scs.PacketHandler(0)
    for motor_id in range(1, 7):
        handler.write1ByteTxRx(sts_port, motor_id, 40, 1)
    writer = scs.GroupSyncWrite(sts_port, handler, 42, 2)
    for motor_id in range(1, 7):
        assert writer.addParam(
            motor_id, [scs.SCS_LOBYTE(1900 + motor_id), scs.SCS_HIBYTE(1900 + motor_id)]
        )
    assert writer.txPacket() == scs.COMM_SUCCESS
    reader = scs.GroupSyncRead(sts_port, handler, 56, 2)
    for motor_id in range(1, 7):
        assert reader.addParam(motor_id)
    deadline = time.monotonic() + 2
    while True:
        assert reader.txRxPacket() == scs.COMM_SUCCESS
        values = {i: reader.getData(i, 56, 2) for i in range(1, 7)}
        if values == {i: 1900 + i for i in range(1, 7)}:
            break
        assert time.monotonic() < deadline, values
        time.sleep(0.01)


def test_dynamixel_sdk_ping_read_write(dxl_port, koch):
    handler = dxl.PacketHandler(2.0)
    assert handler.ping(dxl_port, 1) == (1060, dxl.COMM_SUCCESS, 0)
    assert handler.ping(dxl_port, 6) == (1200, dxl.COMM_SUCCESS, 0)
    assert handler.read4ByteTxRx(dxl_port, 2, 132) == (2048, dxl.COMM_SUCCESS, 0)
    assert handler.write4ByteTxRx(dxl_port, 2, 20, (1 << 32) - 48) == (dxl.COMM_SUCCESS, 0)
    assert handler.read4ByteTxRx(dxl_port, 2, 132)[0] == 2000
    assert handler.write1ByteTxRx(dxl_port, 2, 64, 1) == (dxl.COMM_SUCCESS, 0)
    # EEPROM is locked while torque is on: the servo answers an access error
    assert handler.write1ByteTxRx(dxl_port, 2, 11, 4) == (dxl.COMM_SUCCESS, 7)
    assert koch.register("shoulder_lift", "Operating_Mode") == 3


def test_dynamixel_sdk_broadcast_ping(dxl_port):
    data, comm = dxl.PacketHandler(2.0).broadcastPing(dxl_port)
    assert comm == dxl.COMM_SUCCESS
    assert {i: v[0] for i, v in data.items()} == {
        1: 1060,
        2: 1060,
        3: 1200,
        4: 1200,
        5: 1200,
        6: 1200,
    }


def test_dynamixel_sdk_group_sync_write_and_read(dxl_port):
    handler = dxl.PacketHandler(2.0)
    for motor_id in range(1, 7):
        handler.write1ByteTxRx(dxl_port, motor_id, 64, 1)
    writer = dxl.GroupSyncWrite(dxl_port, handler, 116, 4)
    for motor_id in range(1, 7):
        assert writer.addParam(motor_id, list((2200 + motor_id).to_bytes(4, "little")))
    assert writer.txPacket() == dxl.COMM_SUCCESS
    reader = dxl.GroupSyncRead(dxl_port, handler, 132, 4)
    for motor_id in range(1, 7):
        assert reader.addParam(motor_id)
    deadline = time.monotonic() + 2
    while True:
        assert reader.txRxPacket() == dxl.COMM_SUCCESS
        values = {i: reader.getData(i, 132, 4) for i in range(1, 7)}
        if values == {i: 2200 + i for i in range(1, 7)}:
            break
        assert time.monotonic() < deadline, values
        time.sleep(0.01)
