from __future__ import annotations

import os

import pytest

from lr_motors.bus import PTY_REPLY_TIMEOUT_MS, REPLY_TIMEOUT_MS
from lr_motors.emulator import ServoEmulator, ServoSpec
from lr_motors.feetech.bus import FeetechMotorsBus
from lr_motors.ports import (
    PortNotFoundError,
    find_port,
    is_pseudo_terminal,
    list_ports,
    port_change,
)
from lr_motors.presets import robot_motors


def test_port_change():
    assert port_change(["/dev/a", "/dev/b"], ["/dev/a"]) == "/dev/b"
    assert port_change(["/dev/a"], ["/dev/a", "/dev/c"]) == "/dev/c"
    with pytest.raises(PortNotFoundError, match="no serial port"):
        port_change(["/dev/a"], ["/dev/a"])
    with pytest.raises(PortNotFoundError, match="several ports"):
        port_change(["/dev/a", "/dev/b"], [])


def test_find_port_detects_an_unplugged_board(tmp_path):
    link = tmp_path / "ttyEMU0"
    emu = ServoEmulator([ServoSpec("m", "sts3215")], link=str(link))
    emu.start()
    assert list_ports([str(tmp_path / "tty*")]) == sorted([str(link), *list_ports()])
    printed = []
    port = find_port(
        lambda: list_ports([str(tmp_path / "tty*")]),
        input_fn=lambda prompt: emu.stop(),  # the user unplugs the board
        print_fn=printed.append,
        settle_s=0,
    )
    assert port == str(link)
    assert printed[-1] == "Plug the USB cable back in."


def test_find_port_detects_a_plugged_board(tmp_path):
    link = tmp_path / "ttyEMU1"
    emu = ServoEmulator([ServoSpec("m", "sts3215")], link=str(link))
    try:
        port = find_port(
            lambda: list_ports([str(tmp_path / "tty*")]),
            input_fn=lambda prompt: emu.start(),
            print_fn=lambda line: None,
            settle_s=0,
        )
        assert port == str(link)
    finally:
        emu.stop()


def test_a_pseudo_terminal_is_told_from_other_paths(tmp_path):
    master, slave = os.openpty()
    try:
        assert is_pseudo_terminal(os.ttyname(slave))
        link = tmp_path / "ttyEMU0"
        link.symlink_to(os.ttyname(slave))
        assert is_pseudo_terminal(str(link))  # followed, as `lr motors emulate --link` makes
    finally:
        os.close(master)
        os.close(slave)
    (tmp_path / "file").write_text("")
    for path in ("/dev/null", str(tmp_path / "file"), str(tmp_path), "/dev/ttyACM9-absent"):
        assert not is_pseudo_terminal(path), path


def test_the_reply_timeout_follows_the_kind_of_port(tmp_path):
    """A real adapter's port (absent here: it is not plugged in yet) gets 50 ms, the emulator's
    pty 250 ms; ``timeout_ms`` given wins."""
    motors = robot_motors("so101").motors
    assert FeetechMotorsBus("/dev/ttyACM9-absent", motors).timeout_ms == REPLY_TIMEOUT_MS == 50
    with ServoEmulator([ServoSpec("m", "sts3215")], link=str(tmp_path / "ttyEMU0")) as emu:
        assert FeetechMotorsBus(emu.port, motors).timeout_ms == PTY_REPLY_TIMEOUT_MS == 250
        bus = FeetechMotorsBus(emu.port, motors, timeout_ms=20)
        assert bus.timeout_ms == 20
        assert bus.transport.timeout_s == 0.02  # what the transport waits
