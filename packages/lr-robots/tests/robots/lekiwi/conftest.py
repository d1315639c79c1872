"""Fixtures: LeKiwi's nine servos on a pty, calibrated in file and registers, free TCP ports."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from lr_core.motors import MotorCalibration
from lr_motors.emulator import ServoEmulator, robot_servos
from lr_motors.presets import robot_motors


def lekiwi_calibration(lo: int = 1000, hi: int = 3000) -> dict[str, MotorCalibration]:
    """The arm ``lo..hi`` with offset 0 (the wrist roll and the wheels the whole turn)."""
    full = {"arm_wrist_roll", "base_left_wheel", "base_back_wheel", "base_right_wheel"}
    return {
        name: MotorCalibration(
            id=m.id,
            drive_mode=0,
            homing_offset=0,
            range_min=0 if name in full else lo,
            range_max=4095 if name in full else hi,
        )
        for name, m in robot_motors("lekiwi").motors.items()
    }


@pytest.fixture
def lekiwi_emu() -> Iterator[ServoEmulator]:
    """LeKiwi's arm and wheels (nine STS3215) on one emulated bus."""
    with ServoEmulator(robot_servos("lekiwi")) as emu:
        yield emu


@pytest.fixture
def kiwi(calibration_home, lekiwi_emu, calibrate_emulated) -> ServoEmulator:
    """The emulated LeKiwi with the calibration of id ``kiwi`` in its file and registers."""
    calibrate_emulated(lekiwi_emu, calibration_home / "robots/lekiwi/kiwi.json",
                       lekiwi_calibration())  # fmt: skip
    return lekiwi_emu


def free_ports(n: int = 2) -> list[int]:
    """``n`` TCP ports free on 127.0.0.1 right now."""
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


@pytest.fixture
def ports() -> list[int]:
    """Two free ports: commands, observations."""
    return free_ports(2)
