"""The lr subcommands end to end, in subprocesses, against the emulator."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

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
