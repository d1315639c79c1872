"""``SerialBus.start_sync_read``: a SYNC_READ split in two (request, then replies), against the
pty emulators of both vendors, so one thread can keep two buses answering at once."""

from __future__ import annotations

import pytest

from lr_core.errors import DeviceNotConnectedError
from lr_motors.dynamixel.bus import DynamixelMotorsBus
from lr_motors.emulator import ServoEmulator, robot_servos
from lr_motors.errors import MotorCommError
from lr_motors.feetech.bus import FeetechMotorsBus
from lr_motors.presets import robot_motors

SO101 = robot_motors("so101").motors
KOCH = robot_motors("koch").motors


def _bus(emulator: ServoEmulator, vendor: str):
    bus = (
        FeetechMotorsBus(emulator.port, SO101)
        if vendor == "feetech"
        else DynamixelMotorsBus(emulator.port, KOCH)
    )
    bus.connect()
    return bus


@pytest.fixture(params=["feetech", "dynamixel"])
def arm(request, so101, koch):
    emulator = so101 if request.param == "feetech" else koch
    bus = _bus(emulator, request.param)
    # a distinct position per servo, so a reply given to the wrong motor would show
    positions = {name: 1000 + 300 * i for i, name in enumerate(bus.motors)}
    for name, value in positions.items():
        emulator.move(name, value)
    yield bus, emulator, positions
    if bus.is_connected:
        bus.disconnect(disable_torque=False)


def test_the_split_read_returns_what_sync_read_returns_in_one_transaction(arm):
    bus, _, positions = arm
    before = bus.stats.transactions
    collect = bus.start_sync_read("Present_Position", normalize=False)
    assert collect() == positions
    assert bus.stats.transactions == before + 1 and bus.stats.retries == 0
    assert bus.sync_read("Present_Position", normalize=False) == positions
    collect = bus.start_sync_read("Present_Position", ["gripper"], normalize=False)
    assert collect() == {"gripper": positions["gripper"]}


def test_two_buses_answer_while_one_thread_reads_them_in_either_order(so101):
    with ServoEmulator(robot_servos("so101", "leader")) as leader_emulator:
        follower, leader = _bus(so101, "feetech"), _bus(leader_emulator, "feetech")
        so101.move("elbow_flex", 1111)
        leader_emulator.move("elbow_flex", 2222)
        try:
            for _ in range(20):
                from_leader = leader.start_sync_read("Present_Position", normalize=False)
                from_follower = follower.start_sync_read("Present_Position", normalize=False)
                assert from_follower()["elbow_flex"] == 1111
                assert from_leader()["elbow_flex"] == 2222
            assert leader.stats.retries == follower.stats.retries == 0
        finally:
            follower.disconnect(disable_torque=False)
            leader.disconnect(disable_torque=False)


def test_a_transaction_in_between_makes_the_read_send_again_not_wait_for_a_timeout(arm):
    bus, _, positions = arm
    collect = bus.start_sync_read("Present_Position", normalize=False)
    first_name = next(iter(bus.motors))
    bus.read("Present_Position", first_name, normalize=False)  # drops the pending replies
    assert collect() == positions
    assert bus.stats.timeouts == 0 and bus.stats.retries == 0


def test_a_lost_reply_is_retried_and_a_silent_motor_named(arm):
    bus, emulator, positions = arm
    emulator.inject("wrist_roll", no_reply=1)
    assert bus.start_sync_read("Present_Position", normalize=False)() == positions
    assert bus.stats.retries == 1 and bus.stats.timeouts == 1
    emulator.inject("wrist_roll", no_reply=-1)
    collect = bus.start_sync_read("Present_Position", num_retry=1)
    with pytest.raises(MotorCommError, match=r"failed after 2 tries.*'wrist_roll'"):
        collect()
    assert bus.stats.failures == 1
    emulator.inject("wrist_roll")


def test_collecting_after_disconnect_is_refused(arm):
    bus, _, _ = arm
    collect = bus.start_sync_read("Present_Position")
    bus.disconnect(disable_torque=False)
    with pytest.raises(DeviceNotConnectedError):
        collect()
    with pytest.raises(DeviceNotConnectedError):
        bus.start_sync_read("Present_Position")
