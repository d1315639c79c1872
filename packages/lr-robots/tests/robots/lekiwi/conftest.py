"""Fixtures: LeKiwi's nine servos on a pty, calibrated in file and registers, free TCP ports."""

from __future__ import annotations

import json
import random
import socket
from collections.abc import Callable, Iterator

import pytest

from lr_core.errors import WireFormatError
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


CAMERA = '{"front": {"type": "synthetic", "width": 128, "height": 96, "fps": 30}}'


class HostProcess:
    """``lr lekiwi-host`` in a subprocess (a :class:`Terminal` of the top conftest)."""

    def __init__(self, proc) -> None:
        self.proc = proc
        proc.expect("LeKiwi host: commands on port", timeout=60)
        line = proc.text.split("LeKiwi host: commands on port", 1)[1].splitlines()[0]
        self.port_cmd = int(line.split()[0].rstrip(","))
        self.port_obs = int(line.rsplit(" ", 1)[1])

    def client_config(self, **fields):
        from lr_robots.robots.lekiwi import LeKiwiClientConfig

        fields.setdefault("cameras", json.loads(CAMERA))
        return LeKiwiClientConfig(remote_ip="127.0.0.1", port_zmq_cmd=self.port_cmd,
                                  port_zmq_observations=self.port_obs, **fields)  # fmt: skip


@pytest.fixture
def start_host(run_lr):
    """``start_host(emu, *flags, ports=(0, 0))``: ``lr lekiwi-host`` for robot ``kiwi`` on the
    emulated bus with a synthetic 128x96 camera; returns a :class:`HostProcess`."""

    def start(emu: ServoEmulator, *flags: str, ports=(0, 0), camera: str = CAMERA) -> HostProcess:
        proc = run_lr(
            "lekiwi-host", f"--robot.port={emu.port}", "--robot.id=kiwi",
            f"--robot.cameras={camera}", f"--host.port_zmq_cmd={ports[0]}",
            f"--host.port_zmq_observations={ports[1]}", *flags,
        )  # fmt: skip
        return HostProcess(proc)

    return start


# --------------------------------------------------------------------------- messages


def _limits():
    from lr_robots.robots.lekiwi.protocol import command_limits
    from lr_robots.robots.lekiwi.robot import ARM_MOTORS, lekiwi_motors

    return command_limits(lekiwi_motors(), ARM_MOTORS)


def valid_command(rng: random.Random) -> dict[str, float]:
    """A random valid command (some keys left out)."""
    action = {key: rng.uniform(lo, hi) for key, (lo, hi) in _limits().items()}
    return {k: v for k, v in action.items() if rng.random() < 0.8}


def mutate_command(rng: random.Random) -> bytes:
    """One malformed or hostile command: random bytes, a damaged valid command, wrong keys or
    values, odd JSON."""
    kind = rng.randrange(7)
    good = _encode(valid_command(rng)).encode()
    if kind == 0:
        return rng.randbytes(rng.randrange(0, 300))
    if kind == 1:  # flip bytes
        data = bytearray(good)
        for _ in range(rng.randrange(1, 6)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        return bytes(data)
    if kind == 2:  # truncate or duplicate
        cut = rng.randrange(len(good))
        return good[:cut] if rng.random() < 0.5 else good + good[cut:]
    if kind == 3:  # a wrong value
        key = rng.choice(list(_limits()))
        value = rng.choice(['"1"', "true", "null", "[]", "{}", "NaN", "-Infinity", "1e400",
                            "-1e308", str(_limits()[key][1] * 1.01 + 1)])  # fmt: skip
        return f'{{"{key}": {value}}}'.encode()
    if kind == 4:  # a wrong key
        key = rng.choice(["", "x", "x.pos", "arm_elbow_flex", "base_back_wheel.vel", "é.vel",
                          "arm_elbow_flex.pos\x00", "__proto__", "X.VEL"])  # fmt: skip
        return json.dumps({key: 0.0}).encode()
    if kind == 5:  # another JSON document
        return rng.choice([b"null", b"0", b'"x.vel"', b"[]", b"[{}]", b"true", b'{"a": {}}'])
    return b"{" * rng.randrange(1, 5000)


def _encode(action: dict[str, float]) -> str:
    from lr_robots.robots.lekiwi.protocol import encode_command

    return encode_command(action)


@pytest.fixture
def mutated_command() -> Callable[[random.Random], bytes]:
    """``mutated_command(rng)``: one malformed or hostile command (possibly still valid)."""
    return mutate_command


@pytest.fixture
def malformed_commands() -> Callable[[int, int], list[bytes]]:
    """``malformed_commands(seed, n)``: ``n`` commands the host must refuse (each checked)."""
    from lr_robots.robots.lekiwi.protocol import decode_command

    def make(seed: int, n: int) -> list[bytes]:
        rng, limits, out = random.Random(seed), _limits(), []
        while len(out) < n:
            data = mutate_command(rng)
            try:
                decode_command(data, limits)
            except WireFormatError:
                out.append(data)
        return out

    return make


@pytest.fixture
def wheel_goals() -> Callable[[ServoEmulator], dict[str, int]]:
    """``wheel_goals(emu)``: the wheels' Goal_Velocity registers as signed numbers."""
    from lr_robots.robots.lekiwi.kinematics import WHEELS

    def read(emu: ServoEmulator) -> dict[str, int]:
        out = {}
        for wheel in WHEELS:
            raw = emu.register(wheel, "Goal_Velocity")
            out[wheel] = -(raw & 0x7FFF) if raw & 0x8000 else raw
        return out

    return read
