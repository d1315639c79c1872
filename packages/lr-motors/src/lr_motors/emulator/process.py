"""The emulator process: a pseudo-terminal, a bus of virtual servos and a JSON control channel.

Run as ``python -m lr_motors.emulator.process``. The first line on stdin is the JSON
configuration (``{"servos": [{"name", "model", "id", "baudrate", "position", "attached"}…]}``);
the process answers ``{"port": "/dev/pts/N"}`` on stdout, then serves the pty and one JSON
command per stdin line (one JSON answer per line) until stdin closes. It runs in its own process
because vendor SDKs busy-poll the port while holding the GIL, which starves an in-process thread.

The servos hear the client only when their ``Baud_Rate`` matches the baud rate the client set
on the pty (read back with ``TCGETS2`` on Linux), as on a real bus.
"""

from __future__ import annotations

import fcntl
import json
import os
import selectors
import signal
import struct
import sys
import time
import tty
from typing import Any

from lr_motors.emulator import dynamixel as dxl_handler
from lr_motors.emulator import feetech as ft_handler
from lr_motors.emulator.models import model_spec
from lr_motors.emulator.servo import Faults, VirtualServo

_TCGETS2 = 0x802C542A
#: what line noise looks like: a lone header byte, zeros, and a header with an invalid length
_NOISE = b"\xff\x00\x13\xff\xff\xfd\x00"


def client_baudrate(fd: int) -> int | None:
    """The output baud rate the client set on the tty ``fd`` (Linux), else ``None``."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        buf = bytearray(44)
        fcntl.ioctl(fd, _TCGETS2, buf)
    except OSError:
        return None
    return struct.unpack_from("I", buf, 40)[0] or None


class EmulatedBus:
    """The servos on one wire and the codec of their vendor."""

    def __init__(self, servos: list[VirtualServo], *, one_at_a_time: bool = False) -> None:
        vendors = {s.spec.vendor for s in servos}
        if len(vendors) > 1:
            raise ValueError(f"one bus cannot mix vendors: {sorted(vendors)}")
        self.servos = {s.name: s for s in servos}
        self.vendor = vendors.pop() if vendors else "feetech"
        if self.vendor == "feetech":
            from lr_motors.feetech import protocol
        else:
            from lr_motors.dynamixel import protocol  # type: ignore[no-redef]
        self.protocol = protocol
        self.handler = ft_handler if self.vendor == "feetech" else dxl_handler
        self.buffer = bytearray()
        self.stats = {"requests": 0, "replies": 0, "bad_frames": 0}
        # factory mode for `lr setup-motors`: servos are plugged in one at a time, last first;
        # the next one replaces the current once it is set up: a new id (or, for a servo meant
        # to keep id 1, a Baud_Rate write) and the 1 Mbps default rate
        self.queue = list(reversed(servos)) if one_at_a_time else []
        if self.queue:
            for servo in servos:
                servo.attached = False
            self.queue.pop(0).attached = True

    def _swap_if_done(self) -> None:
        current = [s for s in self.servos.values() if s.attached]
        if current and all(
            (s.id != 1 or s.baudrate_written) and s.baudrate == 1_000_000 for s in current
        ):
            for servo in current:
                servo.attached = False
            self.queue.pop(0).attached = True

    def feed(self, data: bytes, baudrate: int | None) -> list[tuple[float, bytes]]:
        """Consume bytes from the client; return ``(delay_s, reply bytes)`` to send, in order."""
        self.buffer += data
        out: list[tuple[float, bytes]] = []
        while self.buffer:
            try:
                packet, consumed = self.protocol.parse_packet(self.buffer)
            except self.protocol.FrameError as exc:
                self.stats["bad_frames"] += 1
                del self.buffer[: exc.args[1]]
                continue
            del self.buffer[:consumed]
            if packet is None:
                break
            self.stats["requests"] += 1
            if self.queue and packet.id == 0xFE and self._is_ping(packet):
                self._swap_if_done()
            now = time.monotonic()
            listening = []
            for servo in self.servos.values():
                servo.update(now)
                if servo.attached and (baudrate is None or servo.baudrate == baudrate):
                    listening.append(servo)
            for servo, reply in self.handler.handle(packet, listening):
                faults = servo.faults
                if faults.no_reply:
                    faults.no_reply -= 1 if faults.no_reply > 0 else 0
                    continue
                if faults.corrupt:
                    faults.corrupt -= 1 if faults.corrupt > 0 else 0
                    reply = self.handler.corrupt(reply)
                if faults.noise:
                    faults.noise -= 1 if faults.noise > 0 else 0
                    reply = _NOISE + reply
                self.stats["replies"] += 1
                out.append((faults.delay_s, reply))
        return out

    def _is_ping(self, packet: Any) -> bool:
        code = packet.code if self.vendor == "feetech" else packet.instruction
        return code == 0x01

    def command(self, cmd: dict[str, Any]) -> dict[str, Any]:
        """Run one control command (see :class:`lr_motors.emulator.ServoEmulator`)."""
        op = cmd.get("op")
        if op == "stats":
            return {"ok": True, "stats": self.stats}
        if op == "state":
            now = time.monotonic()
            states = {}
            for name, s in self.servos.items():
                s.update(now)
                states[name] = {
                    "id": s.id,
                    "model": s.spec.name,
                    "baudrate": s.baudrate,
                    "attached": s.attached,
                    "torque": s.torque,
                    "actual": s.actual,
                    "present": s.present_position(),
                }
            return {"ok": True, "servos": states}
        servo = self.servos.get(cmd.get("servo", ""))
        if servo is None:
            return {"ok": False, "error": f"no servo named {cmd.get('servo')!r}"}
        servo.update(time.monotonic())
        if op == "attach":
            servo.attached = bool(cmd.get("attached", True))
        elif op == "move":
            servo.move_to(int(cmd["present"]))
        elif op == "press":
            servo.press(int(cmd["present"]))
        elif op == "release":
            servo.release()
        elif op == "faults":
            servo.faults = Faults(**cmd.get("faults", {}))
        elif op == "power_cycle":
            servo.power_cycle()
        elif op == "get":
            return {"ok": True, "value": servo.get(cmd["register"])}
        elif op == "set":
            servo.set(cmd["register"], int(cmd["value"]))
        else:
            return {"ok": False, "error": f"unknown op {op!r}"}
        return {"ok": True}


def build_bus(config: dict[str, Any]) -> EmulatedBus:
    """Create the servos described by ``config``."""
    servos = [
        VirtualServo(
            s["name"],
            model_spec(s["model"]),
            int(s.get("id", 1)),
            int(s.get("baudrate", 1_000_000)),
            float(s.get("position", 2048)),
            attached=bool(s.get("attached", True)),
            tau=float(config.get("tau", 0.03)),
        )
        for s in config["servos"]
    ]
    return EmulatedBus(servos, one_at_a_time=bool(config.get("one_at_a_time", False)))


def serve(config: dict[str, Any], control_in: int, control_out: Any) -> None:
    """Create the pty, report its path on ``control_out``, serve until ``control_in`` closes."""
    bus = build_bus(config)
    master, slave = os.openpty()
    tty.setraw(slave)
    os.set_blocking(master, False)
    port = os.ttyname(slave)
    link = config.get("link")
    if link:
        if os.path.lexists(link):
            os.unlink(link)
        os.symlink(port, link)
    control_out.write(json.dumps({"port": link or port}) + "\n")
    control_out.flush()
    selector = selectors.DefaultSelector()
    selector.register(master, selectors.EVENT_READ, "pty")
    selector.register(control_in, selectors.EVENT_READ, "control")
    pending = b""
    try:
        while True:
            for key, _ in selector.select():
                if key.data == "pty":
                    try:
                        data = os.read(master, 4096)
                    except BlockingIOError:
                        continue
                    replies = bus.feed(data, client_baudrate(slave))
                    if replies:
                        _send(master, replies)
                    continue
                chunk = os.read(control_in, 65536)
                if not chunk:
                    return
                pending += chunk
                while b"\n" in pending:
                    line, pending = pending.split(b"\n", 1)
                    if line.strip():
                        try:
                            answer = bus.command(json.loads(line))
                        except (KeyError, TypeError, ValueError) as exc:
                            answer = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
                        control_out.write(json.dumps(answer) + "\n")
                        control_out.flush()
    finally:
        if link and os.path.islink(link):
            os.unlink(link)
        os.close(master)
        os.close(slave)


def _send(fd: int, replies: list[tuple[float, bytes]]) -> None:
    if all(delay == 0 for delay, _ in replies):
        _write_all(fd, b"".join(r for _, r in replies))
        return
    for delay, reply in replies:
        if delay:
            time.sleep(delay)
        _write_all(fd, reply)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        try:
            n = os.write(fd, view)
        except BlockingIOError:
            time.sleep(0.0005)
            continue
        view = view[n:]


def _exit_cleanly(signum: int, frame: object) -> None:
    raise SystemExit(0)


def main() -> None:
    """Entry point of ``python -m lr_motors.emulator.process``."""
    # Ctrl-C in a terminal reaches the whole process group: the parent decides when to stop
    # (it closes our stdin), so the emulator ignores SIGINT instead of dying mid-reply.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # SIGTERM (a service manager stopping the whole group) ends the process through its
    # cleanup: the pty is closed and the --link symlink removed
    signal.signal(signal.SIGTERM, _exit_cleanly)
    fd = sys.stdin.fileno()
    line = bytearray()
    while not line.endswith(b"\n"):
        byte = os.read(fd, 1)
        if not byte:
            return
        line += byte
    serve(json.loads(line), fd, sys.stdout)


if __name__ == "__main__":
    main()
