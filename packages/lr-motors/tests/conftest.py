from __future__ import annotations

from collections.abc import Iterator

import pytest

from lr_motors.emulator import ServoEmulator, robot_servos


@pytest.fixture
def so101() -> Iterator[ServoEmulator]:
    """Six STS3215 servos (ids 1-6, 1 Mbps) on a pty."""
    with ServoEmulator(robot_servos("so101", "follower")) as emu:
        yield emu


@pytest.fixture
def koch() -> Iterator[ServoEmulator]:
    """The Koch follower's Dynamixel servos (ids 1-6, 1 Mbps) on a pty."""
    with ServoEmulator(robot_servos("koch", "follower")) as emu:
        yield emu
