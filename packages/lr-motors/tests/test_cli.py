"""The lr subcommands end to end, in subprocesses, against the emulator."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from lr_motors.emulator import ServoEmulator, robot_servos
from lr_motors.feetech.bus import FeetechMotorsBus
from lr_motors.presets import robot_motors

LR = [sys.executable, "-c", "import sys; from lr_core.cli import main; sys.exit(main())"]


def test_commands_are_registered():
    out = subprocess.run([*LR, "--help"], capture_output=True, text=True, check=True).stdout
    for name in ("find-port", "setup-motors", "motors"):
        assert name in out
    out = subprocess.run([*LR, "motors", "--help"], capture_output=True, text=True, check=True)
    assert "emulate" in out.stdout and "scan" in out.stdout


def test_motors_emulate_prints_a_port_that_works_until_ctrl_c():
    proc = subprocess.Popen(
        [*LR, "motors", "emulate", "--robot=so101", "--side=follower"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # a shell's background job (`cmd &`) starts with SIGINT ignored and passes that on:
        # Ctrl-C must reach the command whatever started the test run
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        assert "so101 follower" in proc.stdout.readline()
        port = proc.stdout.readline().strip()
        bus = FeetechMotorsBus(port, robot_motors("so101").motors)
        bus.connect()
        assert bus.read("ID", "wrist_roll", normalize=False) == 5
        bus.disconnect()
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0
    assert not os.path.exists(port) or port.startswith("/dev/pts/")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_motors_emulate_exits_0_when_stopped_right_after_printing_its_port(sig):
    """A script that reads the port and stops the emulator at once: the signal lands while the
    command is still printing, which exited 130 (a traceback-free KeyboardInterrupt) about one
    time in seven before the handlers covered the printing too."""
    for _ in range(5):
        proc = subprocess.Popen(
            [*LR, "motors", "emulate", "--robot=so101", "--side=follower"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # as above
        )
        proc.stdout.readline()
        assert proc.stdout.readline().strip().startswith("/dev/")
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=30)
        assert proc.returncode == 0, err
        assert "stopped (" in err


def test_setup_motors_command_with_enter_presses():
    with ServoEmulator(robot_servos("so101", "follower", factory=True), one_at_a_time=True) as emu:
        out = subprocess.run(
            [*LR, "setup-motors", "--robot=so101", f"--port={emu.port}"],
            input="\n" * 6,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert out.returncode == 0, out.stderr
        assert "'gripper' motor id set to 6" in out.stdout
        assert {s["id"] for s in emu.state().values()} == {1, 2, 3, 4, 5, 6}


@pytest.mark.parametrize("command", ["find-port", "setup-motors"])
def test_a_prompt_nobody_can_answer_is_a_clear_error(command):
    """Standard input closed (a pipe, a service): the command says so and exits 1, instead of
    an EOFError reported as a bug in lr; setup-motors keeps the motors it already set."""
    with ServoEmulator(robot_servos("so101", "follower", factory=True), one_at_a_time=True) as emu:
        args = [] if command == "find-port" else ["--robot=so101", f"--port={emu.port}"]
        out = subprocess.run(
            [*LR, command, *args],
            input="" if command == "find-port" else "\n" * 2,  # (two motors set up) then nobody
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert out.returncode == 1, out.stderr
        assert f"lr {command} waits for an answer on the terminal" in out.stderr
        assert "standard input is closed" in out.stderr and "bug" not in out.stderr
        if command == "setup-motors":
            assert "'gripper' motor id set to 6" in out.stdout
            assert "'wrist_roll' motor id set to 5" in out.stdout


def test_setup_motors_reports_a_missing_motor():
    with ServoEmulator(robot_servos("so101", "follower", factory=True)) as emu:
        out = subprocess.run(
            [*LR, "setup-motors", "--robot=so101", f"--port={emu.port}"],
            input="\n",
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert out.returncode == 1
    assert "'gripper' (sts3215) was not found" in out.stderr


def test_scan_and_find_port_list(so101):
    out = subprocess.run(
        [*LR, "motors", "scan", f"--port={so101.port}"], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert "1000000 bps: id 1 (model 777)" in out.stdout
    out = subprocess.run([*LR, "find-port", "--list_only=true"], capture_output=True, text=True)
    assert out.returncode == 0


def test_find_port_command_spots_the_unplugged_board(tmp_path):
    link = tmp_path / "ttyEMU0"
    emu = ServoEmulator(robot_servos("so101"), link=str(link))
    emu.start()
    proc = subprocess.Popen(
        [*LR, "find-port", f'--glob=["{tmp_path}/tty*"]'],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert str(link) in proc.stdout.readline()  # "Ports before: …"
        emu.stop()  # unplug
        out, err = proc.communicate("\n", timeout=30)
    finally:
        emu.stop()
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert f"The port of this board is '{link}'." in out


def _start_emulate(*args: str, **popen: object) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [*LR, "motors", "emulate", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **popen,  # type: ignore[call-overload]
    )
    assert "Emulating" in proc.stdout.readline()
    return proc, proc.stdout.readline().strip()


def test_emulate_any_servo_set_and_stop_it_with_sigterm(tmp_path):
    from lr_core.motors import Motor, MotorNormMode

    link = tmp_path / "ttyHOPE"
    proc, port = _start_emulate("--servos=pitch=sm8512bl:1,sts3250:2,sts3250:3", f"--link={link}")
    try:
        assert port == str(link) and link.is_symlink()
        motors = {
            "pitch": Motor(id=1, model="sm8512bl", norm_mode=MotorNormMode.RANGE_M100_100),
            "sts3250_2": Motor(id=2, model="sts3250", norm_mode=MotorNormMode.RANGE_M100_100),
            "sts3250_3": Motor(id=3, model="sts3250", norm_mode=MotorNormMode.RANGE_M100_100),
        }
        bus = FeetechMotorsBus(port, motors)
        bus.connect()  # the handshake checks each model number
        assert bus.broadcast_ping() == {1: 11272, 2: 2825, 3: 2825}
        bus.disconnect()
    finally:
        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(timeout=10)
    assert rc == 0
    assert "stopped (SIGTERM)" in proc.stderr.read()
    assert not link.exists() and not link.is_symlink()  # the emulator cleaned up


def test_emulate_a_dynamixel_set_from_json_at_another_baud_rate_and_sigterm_the_group(tmp_path):
    from lr_core.motors import Motor, MotorNormMode
    from lr_motors.dynamixel.bus import DynamixelMotorsBus

    link = tmp_path / "ttyDXL"
    servos = '[{"name": "pan", "model": "xl430-w250", "id": 7}, {"model": "xl330-m288", "id": 9}]'
    proc, port = _start_emulate(
        f"--servos={servos}", "--baudrate=57600", f"--link={link}", start_new_session=True
    )
    try:
        motors = {
            "pan": Motor(id=7, model="xl430-w250", norm_mode=MotorNormMode.DEGREES),
            "grip": Motor(id=9, model="xl330-m288", norm_mode=MotorNormMode.RANGE_0_100),
        }
        bus = DynamixelMotorsBus(port, motors)
        bus.set_baudrate(57_600)
        bus.connect()
        assert bus.ping("grip") == 1200
        bus.disconnect()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)  # what a service manager does: the whole group
        rc = proc.wait(timeout=10)
    assert rc == 0
    assert not link.is_symlink()


@pytest.mark.slow
def test_emulate_refuses_a_bad_servo_set_by_name():
    for servos, message in [
        ("sts3215:1,sts9999:2", "unknown servo model 'sts9999'"),
        ("sts3215:1,sts3215:1", "share the id 1"),
        ("sts3215:x", "integer id"),
        ("sts3215:1,xl330-m288:2", "cannot mix vendors"),
        ("sts3215:1@123", "no baud rate 123"),
    ]:
        out = subprocess.run(
            [*LR, "motors", "emulate", f"--servos={servos}"], capture_output=True, text=True,
            timeout=30,
        )  # fmt: skip
        assert out.returncode == 1, (servos, out.stderr)
        assert message in out.stderr, (servos, out.stderr)
