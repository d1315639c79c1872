"""Fixtures: emulated arms on ptys, calibration folders, and a driver for ``lr`` subprocesses."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar, Literal

import numpy as np
import pytest

from lr_core.camera import Camera
from lr_core.devices import CameraConfig
from lr_core.motors import MotorCalibration, save_calibration
from lr_motors.emulator import ServoEmulator, robot_servos
from lr_motors.presets import robot_motors

LR = [sys.executable, "-c", "import sys; from lr_core.cli import main; sys.exit(main())"]


class Terminal:
    """A command in a subprocess, driven like a person at a terminal: wait for a prompt, do
    something to the emulated arm, press Enter."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=env,
            # a shell's background job passes SIGINT ignored on: Ctrl-C must reach the command
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
        self.output = b""

    @property
    def text(self) -> str:
        """Everything the process printed so far (stdout and stderr)."""
        return self.output.decode(errors="replace")

    def _read(self, timeout: float) -> bytes | None:
        """Read what is there within ``timeout``: ``None`` if nothing, ``b""`` at EOF."""
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        if not select.select([fd], [], [], timeout)[0]:
            return None
        chunk = os.read(fd, 65536)
        self.output += chunk
        return chunk

    def expect(self, text: str, timeout: float = 30) -> None:
        """Wait until ``text`` has been printed (fails with the output so far)."""
        deadline = time.monotonic() + timeout
        while text not in self.text:
            left = deadline - time.monotonic()
            if left <= 0 or self._read(min(left, 0.2)) == b"":
                raise AssertionError(f"{text!r} never printed; output:\n{self.text[-4000:]}")

    def send(self, line: str = "") -> None:
        """Type ``line`` and Enter."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(line.encode() + b"\n")
        self.proc.stdin.flush()

    def signal(self, sig: int) -> None:
        """Send ``sig`` (SIGINT is Ctrl-C)."""
        self.proc.send_signal(sig)

    def wait(self, timeout: float = 60) -> int:
        """Wait for the exit, collecting all output; returns the exit code."""
        deadline = time.monotonic() + timeout
        while self._read(0.1) != b"":
            if time.monotonic() > deadline:
                self.proc.kill()
                raise AssertionError(f"still running after {timeout} s:\n{self.text[-4000:]}")
        return int(self.proc.wait(timeout=max(1.0, deadline - time.monotonic())))

    def close(self) -> None:
        """Kill the process if it is still running."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def wait_for(check, timeout: float = 5.0, what: str = "condition") -> None:
    """Poll ``check()`` until true (a SYNC_WRITE has no reply: the servos apply it a moment
    after the bus returns)."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached within {timeout} s")
        time.sleep(0.005)


@pytest.fixture
def register_becomes():
    """``register_becomes(emu, servo, register, value)``: wait until the register holds it."""

    def check(emu: ServoEmulator, servo: str, register: str, value: int) -> None:
        wait_for(lambda: emu.register(servo, register) == value, what=f"{servo}.{register}={value}")

    return check


@pytest.fixture
def calibrate_by_hand():
    """``calibrate_by_hand(proc, emu, joints, path)``: answer a calibration's prompts like a
    person: Enter with the arm mid-range, then move ``joints`` along ``path`` (positions read
    after homing) and press Enter."""

    def drive(proc: Terminal, emu: ServoEmulator, joints, path=(2047, 1500, 1000, 1500, 2500,
                                                                3100, 2600)) -> None:  # fmt: skip
        proc.expect("middle of its range of motion", timeout=60)
        proc.send()
        proc.expect("Press ENTER to stop", timeout=60)
        for position in path:
            for name in joints:
                emu.move(name, position)
            time.sleep(0.06)
        proc.send()
        proc.expect("Calibration saved to", timeout=60)

    return drive


class FakeCameraConfig(CameraConfig):
    """A camera that exists only in these tests (the real ones come from ``lr.cameras``):
    frames of 7s, or a connect that fails."""

    type: Literal["fake_test"] = "fake_test"
    fail_connect: bool = False

    @classmethod
    def implementation_class(cls) -> type:
        return FakeCamera


class FakeCamera(Camera):
    config_class: ClassVar[type[CameraConfig]] = FakeCameraConfig

    def __init__(self, config: FakeCameraConfig) -> None:
        super().__init__(config)
        self.config: FakeCameraConfig = config
        self.open = False

    @property
    def is_connected(self) -> bool:
        return self.open

    def connect(self, warmup: bool = True) -> None:
        if self.config.fail_connect:
            raise TimeoutError("fake camera did not start")
        self.open = True

    def read(self) -> np.ndarray:
        return np.full((self.height, self.width, 3), 7, np.uint8)

    def async_read(self, timeout_ms: float = 200) -> np.ndarray:
        return self.read()

    def read_latest(self, max_age_ms: float = 500) -> np.ndarray:
        return self.read()

    def disconnect(self) -> None:
        self.open = False


@pytest.fixture
def fake_camera() -> type[FakeCameraConfig]:
    """The config class of an in-test camera (``fake_camera(width=.., height=..)``)."""
    return FakeCameraConfig


@pytest.fixture
def calibration_home(tmp_path, monkeypatch) -> Path:
    """A private ``$HF_LEROBOT_CALIBRATION`` for this test (and its subprocesses)."""
    root = tmp_path / "calibration"
    monkeypatch.setenv("HF_LEROBOT_CALIBRATION", str(root))
    return root


@pytest.fixture
def spawn(calibration_home) -> Iterator:
    """``spawn(argv)``: start a command (a :class:`Terminal`) with the test's calibration
    folder in its environment; killed at the end of the test."""
    started: list[Terminal] = []

    def start(argv: list[str]) -> Terminal:
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        proc = Terminal(list(argv), env)
        started.append(proc)
        return proc

    yield start
    for proc in started:
        proc.close()


@pytest.fixture
def run_lr(spawn) -> Iterator:
    """``run_lr(*args)``: start ``lr <args>`` (see :func:`spawn`)."""
    return lambda *args: spawn([*LR, *args])


@pytest.fixture
def so101_follower_emu() -> Iterator[ServoEmulator]:
    """An SO-101 follower's six STS3215 on a pty."""
    with ServoEmulator(robot_servos("so101", "follower")) as emu:
        yield emu


@pytest.fixture
def so101_leader_emu() -> Iterator[ServoEmulator]:
    """An SO-101 leader's six STS3215 on a pty."""
    with ServoEmulator(robot_servos("so101", "leader")) as emu:
        yield emu


def so_calibration(lo: int = 1000, hi: int = 3000) -> dict[str, MotorCalibration]:
    """A calibration of an SO arm: offset 0, ``lo..hi`` (wrist_roll the whole turn)."""
    return {
        name: MotorCalibration(
            id=m.id,
            drive_mode=0,
            homing_offset=0,
            range_min=0 if name == "wrist_roll" else lo,
            range_max=4095 if name == "wrist_roll" else hi,
        )
        for name, m in robot_motors("so101").motors.items()
    }


def install_calibration(
    emu: ServoEmulator, path: Path, calibration: dict[str, MotorCalibration]
) -> None:
    """Save ``calibration`` at ``path`` and write it into the emulated servos, as a finished
    ``lr calibrate`` leaves them."""
    save_calibration(path, calibration)
    for name, cal in calibration.items():
        emu.set_register(name, "Homing_Offset", abs(cal.homing_offset) | (
            (1 << 11) if cal.homing_offset < 0 else 0))  # fmt: skip
        emu.set_register(name, "Min_Position_Limit", cal.range_min)
        emu.set_register(name, "Max_Position_Limit", cal.range_max)


@pytest.fixture
def calibrate_emulated():
    """``calibrate_emulated(emu, path, calibration=None)``: install a calibration (default:
    :func:`so_calibration`) in a file and in the emulated servos' registers."""

    def install(emu: ServoEmulator, path: Path, calibration: dict | None = None) -> None:
        install_calibration(emu, path, calibration or so_calibration())

    return install


@pytest.fixture
def calibrated_so101(calibration_home, so101_follower_emu, so101_leader_emu):
    """Follower ``black`` and leader ``blue``, calibrated alike (files and registers)."""
    install_calibration(
        so101_follower_emu, calibration_home / "robots/so_follower/black.json", so_calibration()
    )
    install_calibration(
        so101_leader_emu, calibration_home / "teleoperators/so_leader/blue.json", so_calibration()
    )
    return so101_follower_emu, so101_leader_emu


CAMERA = '--robot.cameras={"front": {"type": "synthetic", "width": 64, "height": 48}}'


def _record_args(follower, leader, root: Path, *extra: str, repo: str = "me/pick") -> list[str]:
    """``lr record`` flags for the emulated pair (short episodes, no Hub)."""
    return [
        "record",
        "--robot.type=so101_follower", f"--robot.port={follower.port}", "--robot.id=black",
        CAMERA,
        "--teleop.type=so101_leader", f"--teleop.port={leader.port}", "--teleop.id=blue",
        f"--dataset.repo_id={repo}", f"--dataset.root={root}", "--dataset.single_task=pick it",
        "--dataset.num_episodes=2", "--dataset.episode_time_s=1", "--dataset.reset_time_s=0.3",
        "--dataset.push_to_hub=false", "--dataset.no_stamp=true",
        "--dataset.rgb_encoder.vcodec=h264",
        *extra,
    ]  # fmt: skip


@pytest.fixture
def record_args():
    """``record_args(follower_emu, leader_emu, root, *extra, repo="me/pick")``: ``lr record``
    flags for the emulated SO-101 pair (two 1 s episodes, a 64x48 synthetic camera, h264, no
    Hub, no repo-id stamp)."""
    return _record_args
