from __future__ import annotations

import pytest

from lr_motors.emulator import ServoEmulator, ServoSpec
from lr_motors.ports import PortNotFoundError, find_port, list_ports, port_change


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
