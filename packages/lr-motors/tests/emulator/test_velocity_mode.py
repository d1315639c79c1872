"""Velocity mode (``Operating_Mode`` 1) in the emulator: the wheels of LeKiwi.

A Feetech STS servo in velocity mode turns at ``Goal_Velocity`` (encoder ticks/s, sign bit 15)
while torque is on; ``Present_Velocity`` reports the speed and ``Present_Position`` keeps
wrapping around the encoder. Writing 0, or torque off, stops it.
"""

from __future__ import annotations

import time

import pytest

from lr_motors.emulator import ServoEmulator, robot_servos
from lr_motors.feetech.bus import FeetechMotorsBus, OperatingMode
from lr_motors.presets import LEKIWI_WHEELS, robot_motors


def wait_until(check, timeout: float = 3.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.005)


@pytest.fixture
def wheels():
    motors = {n: m for n, m in robot_motors("lekiwi").motors.items() if n in LEKIWI_WHEELS}
    servos = [s for s in robot_servos("lekiwi") if s.name in LEKIWI_WHEELS]
    with ServoEmulator(servos) as emu:
        bus = FeetechMotorsBus(emu.port, motors)
        bus.connect()
        with bus.torque_disabled():
            for name in motors:
                bus.write("Operating_Mode", name, int(OperatingMode.VELOCITY), normalize=False)
        yield emu, bus
        bus.disconnect()


def velocities(bus) -> dict[str, int]:
    return bus.sync_read("Present_Velocity", normalize=False)


def test_wheels_turn_at_the_goal_velocity_both_ways(wheels):
    emu, bus = wheels
    assert bus.read("Operating_Mode", "base_left_wheel", normalize=False) == 1
    goals = {"base_left_wheel": 1000, "base_back_wheel": -600, "base_right_wheel": 0}
    bus.sync_write("Goal_Velocity", goals, normalize=False)
    wait_until(lambda: velocities(bus) == goals)  # SYNC_WRITE has no reply: wait for it
    assert emu.register("base_back_wheel", "Goal_Velocity") == 0x8000 | 600  # sign-magnitude
    before = bus.sync_read("Present_Position", normalize=False)
    t0 = time.monotonic()
    time.sleep(0.3)
    after = bus.sync_read("Present_Position", normalize=False)
    dt = time.monotonic() - t0
    moved_left = (after["base_left_wheel"] - before["base_left_wheel"]) % 4096
    moved_back = (before["base_back_wheel"] - after["base_back_wheel"]) % 4096
    assert 1000 * 0.3 * 0.8 <= moved_left <= 1000 * dt + 60
    assert 600 * 0.3 * 0.8 <= moved_back <= 600 * dt + 60
    assert after["base_right_wheel"] == before["base_right_wheel"]


def test_position_wraps_while_turning_and_the_goal_position_is_ignored(wheels):
    _, bus = wheels
    bus.write("Goal_Position", "base_left_wheel", 100, normalize=False)  # no effect in mode 1
    bus.write("Goal_Velocity", "base_left_wheel", 3000, normalize=False)
    seen: set[int] = set()
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline and not (min(seen, default=4096) < 1000 and 3000 in
                                                  {p // 1000 * 1000 for p in seen}):  # fmt: skip
        seen.add(int(bus.read("Present_Position", "base_left_wheel", normalize=False)))
    assert min(seen) < 1000 and max(seen) >= 3000  # more than a turn, through the seam
    assert all(0 <= p < 4096 for p in seen)


def test_zero_velocity_or_torque_off_stops_the_wheel(wheels):
    _, bus = wheels
    bus.sync_write("Goal_Velocity", dict.fromkeys(LEKIWI_WHEELS, 800), normalize=False)
    wait_until(lambda: set(velocities(bus).values()) == {800})
    bus.write("Goal_Velocity", "base_left_wheel", 0, normalize=False)
    bus.write("Torque_Enable", "base_back_wheel", 0, normalize=False)
    wait_until(lambda: velocities(bus)["base_back_wheel"] == 0)
    speeds = velocities(bus)
    assert speeds == {"base_left_wheel": 0, "base_back_wheel": 0, "base_right_wheel": 800}
    still = bus.sync_read("Present_Position", normalize=False)
    time.sleep(0.1)
    now = bus.sync_read("Present_Position", normalize=False)
    assert now["base_left_wheel"] == still["base_left_wheel"]
    assert now["base_back_wheel"] == still["base_back_wheel"]


def test_speed_is_capped_at_the_servos_maximum(wheels):
    _, bus = wheels
    bus.write("Goal_Velocity", "base_right_wheel", -20000, normalize=False)
    wait_until(lambda: velocities(bus)["base_right_wheel"] == -3400)


def test_back_to_position_mode_holds_where_the_wheel_is(wheels):
    _, bus = wheels
    bus.write("Goal_Velocity", "base_left_wheel", 1500, normalize=False)
    wait_until(lambda: velocities(bus)["base_left_wheel"] == 1500)
    with bus.torque_disabled():
        bus.write("Operating_Mode", "base_left_wheel", int(OperatingMode.POSITION), normalize=False)
    # torque back on: the goal becomes the present position, so the wheel holds
    wait_until(lambda: velocities(bus)["base_left_wheel"] == 0)
    held = bus.read("Present_Position", "base_left_wheel", normalize=False)
    time.sleep(0.1)
    assert abs(bus.read("Present_Position", "base_left_wheel", normalize=False) - held) <= 1
