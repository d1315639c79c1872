"""``lr teleoperate --robot.type=lekiwi_client --teleop.type=lekiwi_leader``: the laptop side
in a subprocess whose terminal is a pty typing kitty-protocol keys, an emulated SO leader for
the arm, ``lr lekiwi-host`` on an emulated LeKiwi."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time

import pytest

from lr_robots.robots.lekiwi.kinematics import body_to_wheel_raw

LR = [sys.executable, "-c", "import sys; from lr_core.cli import main; sys.exit(main())"]


@pytest.fixture
def leader(calibration_home, so101_leader_emu, calibrate_emulated):
    calibrate_emulated(so101_leader_emu, calibration_home / "teleoperators/so_leader/blue.json")
    return so101_leader_emu


def until(check, what: str, proc: subprocess.Popen, timeout: float = 15.0) -> None:
    """Poll ``check()``; fail with ``proc``'s output if it never holds or ``proc`` ended."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            output = proc.communicate()[0].decode(errors="replace")
            pytest.fail(f"{what} not reached; lr teleoperate printed:\n{output[-3000:]}")
        time.sleep(0.02)


def kitty(key: str, pressed: bool) -> bytes:
    return f"\x1b[{ord(key)};1:{'1' if pressed else '3'}u".encode()


@pytest.mark.slow
def test_lr_teleoperate_drives_lekiwi_from_the_laptop(leader, kiwi, start_host, wheel_goals):
    host = start_host(kiwi, "--host.connection_time_s=120", camera="{}")
    master, slave = os.openpty()
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [*LR, "teleoperate", "--robot.type=lekiwi_client",
         "--robot.remote_ip=127.0.0.1", f"--robot.port_zmq_cmd={host.port_cmd}",
         f"--robot.port_zmq_observations={host.port_obs}", "--robot.cameras={}",
         "--teleop.type=lekiwi_leader", "--teleop.backend=terminal",
         "--teleop.arm.type=so101_leader", f"--teleop.arm.port={leader.port}",
         "--teleop.arm.id=blue", "--fps=30"],
        stdin=slave, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
    )  # fmt: skip
    try:
        # answer the keyboard reader's question: this terminal speaks the kitty protocol
        asked = b""
        deadline = time.monotonic() + 60
        while b"\x1b[c" not in asked:
            assert time.monotonic() < deadline and proc.poll() is None, "no keyboard query"
            if select.select([master], [], [], 0.1)[0]:
                asked += os.read(master, 1024)
        os.write(master, b"\x1b[?0u\x1b[?62;c")
        leader.move("elbow_flex", 2500)
        until(lambda: abs(kiwi.register("arm_elbow_flex", "Goal_Position") - 2500) <= 1,
              "the arm following the leader", proc, timeout=60)  # fmt: skip
        os.write(master, kitty("w", True))
        until(
            lambda: wheel_goals(kiwi) == body_to_wheel_raw(0.1, 0.0, 0.0), "the base moving", proc
        )
        os.write(master, kitty("r", True) + kitty("r", False))  # one speed level up
        until(lambda: wheel_goals(kiwi) == body_to_wheel_raw(0.2, 0.0, 0.0), "speed level 2", proc)
        os.write(master, kitty("w", False))
        until(lambda: set(wheel_goals(kiwi).values()) == {0}, "the base stopping on release", proc)
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
        os.close(slave)
    text = out.decode(errors="replace")
    assert proc.returncode == 0, text
    assert "teleoperate at 30 Hz target" in text
    host.proc.signal(signal.SIGINT)
    assert host.proc.wait() == 0
