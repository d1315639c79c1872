"""What ``lr find-port``, ``lr setup-motors`` and ``lr motors …`` run (parsed with lr-core)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from lr_core.config import LrConfig, parse_cli

if TYPE_CHECKING:
    from lr_motors.emulator import ServoSpec


class FindPortConfig(LrConfig):
    """``lr find-port``: ``--list_only=true`` just lists; ``--glob`` adds paths to watch."""

    list_only: bool = False
    """Only list the serial ports found, without asking you to unplug the adapter."""
    glob: list[str] = []
    """More path patterns to watch (e.g. '["/dev/ttyS*"]')."""


class SetupMotorsConfig(LrConfig):
    """``lr setup-motors --robot=so101 --side=follower --port=/dev/ttyACM0``."""

    robot: str
    """Which arm: so100, so101 or koch."""
    side: str = "follower"
    """follower or leader."""
    port: str
    """Serial port of the motor bus (see lr find-port)."""


class EmulateConfig(LrConfig):
    """``lr motors emulate --robot=so101 --side=follower``, or any servo set:
    ``--servos=sm8512bl:1,sts3250:2@500000`` (``[NAME=]MODEL[:ID][@BAUD]``, or a JSON list).

    ``--baudrate`` sets the servos' baud rate (bits/s; default 1 Mbps). ``--factory=true``
    gives new servos (all id 1, factory baud rate) plugged in one at a time, for trying
    ``lr setup-motors``; ``--link`` makes a symlink to the pty. Stops on Ctrl-C, SIGTERM or
    SIGHUP, removing the link."""

    robot: str | None = None
    """Arm preset to emulate (so100, so101, koch, omx, hope_jr...); or give --servos."""
    side: str = "follower"
    """follower or leader."""
    servos: str | None = None
    """Any servo set: [NAME=]MODEL[:ID][@BAUD],... or a JSON list of those."""
    baudrate: int | None = None
    """The servos' baud rate in bits/s (default 1 Mbps)."""
    factory: bool = False
    """New servos (all id 1, factory baud rate) plugged in one at a time."""
    link: str | None = None
    """Also make this symlink to the emulator's pty (e.g. /tmp/ttyLR0)."""
    tau: float = 0.03
    """Time constant (s) of the emulated servos' motion towards their goal."""


class ScanConfig(LrConfig):
    """``lr motors scan --port=… --vendor=feetech``: every baud rate and the ids answering."""

    port: str
    """Serial port to scan."""
    vendor: str = "feetech"
    """feetech or dynamixel."""


def bus_class(vendor: str) -> type:
    """The bus class of ``vendor`` (``feetech`` or ``dynamixel``)."""
    if vendor == "feetech":
        from lr_motors.feetech.bus import FeetechMotorsBus

        return FeetechMotorsBus
    if vendor == "dynamixel":
        from lr_motors.dynamixel.bus import DynamixelMotorsBus

        return DynamixelMotorsBus
    from lr_core.errors import ConfigError

    raise ConfigError(f"unknown motor vendor {vendor!r}; use feetech or dynamixel")


def find_port_main(argv: list[str]) -> int:
    """Run ``lr find-port``."""
    from lr_motors.ports import find_port, list_ports

    cfg = parse_cli(FindPortConfig, argv, prog="lr find-port")
    if cfg.list_only:
        for port in list_ports(cfg.glob):
            print(port)
        return 0
    find_port(lambda: list_ports(cfg.glob))
    return 0


def setup_motors_main(argv: list[str]) -> int:
    """Run ``lr setup-motors``."""
    from lr_motors.presets import robot_motors
    from lr_motors.setup import setup_motors

    cfg = parse_cli(SetupMotorsConfig, argv, prog="lr setup-motors")
    preset = robot_motors(cfg.robot, cfg.side)
    bus = bus_class(preset.vendor)(cfg.port, preset.motors)
    try:
        setup_motors(bus, order=preset.motors_to_set_up())
    finally:
        if bus.is_connected:
            bus.disconnect(disable_torque=False)
    return 0


class _Stop(Exception):
    """Raised by the SIGTERM/SIGHUP handler to leave ``emu.wait()`` and clean up."""


def _emulated_servos(cfg: EmulateConfig) -> tuple[list[ServoSpec], str]:
    from dataclasses import replace

    from lr_core.errors import ConfigError
    from lr_motors.emulator import parse_servos, robot_servos

    if cfg.servos is not None:
        if cfg.robot is not None or cfg.factory:
            raise ConfigError("give either --servos or --robot (with --side/--factory), not both")
        try:
            servos = parse_servos(cfg.servos, baudrate=cfg.baudrate)
        except ValueError as exc:
            raise ConfigError(f"--servos: {exc}") from None
        models = ", ".join(sorted({s.model for s in servos}))
        return servos, f"{len(servos)} servos ({models})"
    robot = cfg.robot or "so101"
    servos = robot_servos(robot, cfg.side, factory=cfg.factory)
    if cfg.baudrate is not None:
        servos = [replace(s, baudrate=cfg.baudrate) for s in servos]
    kind = "factory-new, plugged in one at a time," if cfg.factory else "configured"
    return servos, f"the {robot} {cfg.side} ({len(servos)} {kind} servos)"


def emulate_main(argv: list[str]) -> int:
    """Run ``lr motors emulate`` until Ctrl-C, SIGTERM or SIGHUP (exit code 0 either way)."""
    import signal

    from lr_core.errors import ConfigError
    from lr_motors.emulator import ServoEmulator

    cfg = parse_cli(EmulateConfig, argv, prog="lr motors emulate")
    servos, what = _emulated_servos(cfg)

    def stop(signum: int, frame: object) -> None:
        raise _Stop(signal.Signals(signum).name)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        try:
            emu = ServoEmulator(servos, tau=cfg.tau, link=cfg.link, one_at_a_time=cfg.factory)
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
        # the handlers cover starting and printing too: a Ctrl-C just after the port is printed
        # (a script that reads it and stops at once) used to land before them and exit 130
        try:
            with emu:
                print(f"Emulating {what} on port:")
                print(emu.port, flush=True)
                print("Press Ctrl-C (or send SIGTERM) to stop.", file=sys.stderr, flush=True)
                emu.wait()
        except KeyboardInterrupt:
            print("stopped (Ctrl-C)", file=sys.stderr)
        except _Stop as exc:
            print(f"stopped ({exc})", file=sys.stderr)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0


def scan_main(argv: list[str]) -> int:
    """Run ``lr motors scan``."""
    cfg = parse_cli(ScanConfig, argv, prog="lr motors scan")
    bus = bus_class(cfg.vendor)(cfg.port, {}, retries=0)
    try:
        found = bus.scan_port()
    finally:
        if bus.is_connected:
            bus.disconnect(disable_torque=False)
    if not found:
        print(f"no {cfg.vendor} servo answered on {cfg.port} at any baud rate")
        return 1
    for rate, ids in found.items():
        print(f"{rate} bps: " + ", ".join(f"id {i} (model {m})" for i, m in sorted(ids.items())))
    return 0
