"""A protocol-faithful servo emulator on a pseudo-terminal, for tests and hardware-free trials.

::

    from lr_motors.emulator import ServoEmulator, robot_servos

    with ServoEmulator(robot_servos("so101", "follower")) as emu:
        bus = FeetechMotorsBus(emu.port, motors)   # any client: ours, LeRobot, vendor SDKs
        emu.move("gripper", 3000)                  # a hand moves the joint
        emu.inject("elbow_flex", no_reply=2)       # the next two replies are lost

The servos run in a separate process (``lr_motors.emulator.process``) and speak the real wire
protocols: Feetech SCS/STS or Dynamixel Protocol 2.0, with per-model control tables, EEPROM and
RAM, Lock, torque and first-order position dynamics. The parent talks to it over a JSON-lines
pipe; nothing is pickled.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from types import TracebackType
from typing import Any

__all__ = ["EmulatorError", "ServoEmulator", "ServoSpec", "emulated_port", "robot_servos"]


class EmulatorError(RuntimeError):
    """The emulator process failed or refused a control command."""


@dataclass(frozen=True)
class ServoSpec:
    """One emulated servo: a unique ``name`` (the slot), ``model``, ``id``, ``baudrate``
    (bits/s), initial ``position`` (raw ticks) and whether it is ``attached`` to the bus."""

    name: str
    model: str
    id: int = 1
    baudrate: int = 1_000_000
    position: int = 2048
    attached: bool = True


def robot_servos(robot: str, side: str = "follower", *, factory: bool = False) -> list[ServoSpec]:
    """The servos of a known robot arm (see :mod:`lr_motors.presets`).

    ``factory=True`` gives brand-new servos instead: every one at id 1 and its factory baud
    rate, detached (as ``lr setup-motors`` expects to find them, one plugged in at a time).
    """
    from lr_motors.presets import robot_motors

    preset = robot_motors(robot, side)
    out = []
    for name, motor in preset.motors.items():
        if factory:
            rate = 1_000_000 if preset.vendor == "feetech" else 57_600
            out.append(ServoSpec(name, motor.model, 1, rate, 2048, attached=False))
        else:
            out.append(ServoSpec(name, motor.model, motor.id))
    return out


class ServoEmulator:
    """Start/stop an emulated servo bus; :attr:`port` is the path a client opens.

    Use as a context manager, or call :meth:`start` / :meth:`stop`. ``tau`` is the time
    constant (s) of the position response; ``link`` optionally creates a symlink to the pty.
    ``one_at_a_time`` plugs the servos in one by one, last first, swapping to the next when the
    current one has been given a new id at 1 Mbps (what ``lr setup-motors`` expects a person to
    do by hand).
    """

    def __init__(
        self,
        servos: Sequence[ServoSpec],
        *,
        tau: float = 0.03,
        link: str | None = None,
        one_at_a_time: bool = False,
    ) -> None:
        names = [s.name for s in servos]
        if len(set(names)) != len(names):
            raise ValueError(f"servo names must be unique, got {names}")
        from lr_motors.emulator.models import model_spec

        vendors = {model_spec(s.model).vendor for s in servos}
        if len(vendors) > 1:
            raise ValueError(f"one emulated bus cannot mix vendors: {sorted(vendors)}")
        self.servos = list(servos)
        self.tau = tau
        self.link = link
        self.one_at_a_time = one_at_a_time
        self._proc: subprocess.Popen[bytes] | None = None
        self._port: str | None = None

    @property
    def port(self) -> str:
        """The pty path (``/dev/pts/N``) or the symlink when ``link`` was given."""
        if self._port is None:
            raise EmulatorError("the emulator is not running; call start() first")
        return self._port

    def start(self) -> str:
        """Start the emulator process; returns the port path."""
        if self._proc is not None:
            return self.port
        config = {
            "servos": [asdict(s) for s in self.servos],
            "tau": self.tau,
            "link": self.link,
            "one_at_a_time": self.one_at_a_time,
        }
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "lr_motors.emulator.process"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        assert self._proc.stdin is not None and self._proc.stdout is not None
        self._proc.stdin.write(json.dumps(config).encode() + b"\n")
        self._proc.stdin.flush()
        line = self._proc.stdout.readline()
        if not line:
            code = self._proc.wait()
            self._proc = None
            raise EmulatorError(f"the emulator process exited with code {code} before starting")
        self._port = json.loads(line)["port"]
        return self._port

    def stop(self) -> None:
        """Stop the process (closing its control pipe ends it)."""
        proc, self._proc, self._port = self._proc, None, None
        if proc is None:
            return
        assert proc.stdin is not None and proc.stdout is not None
        try:
            proc.stdin.close()
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        finally:
            proc.stdout.close()

    def wait(self) -> int:
        """Block until the process ends (for ``lr motors emulate``); returns its exit code."""
        if self._proc is None:
            return 0
        return self._proc.wait()

    def __enter__(self) -> ServoEmulator:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # control ----------------------------------------------------------------------------
    def _call(self, **cmd: Any) -> dict[str, Any]:
        if self._proc is None:
            raise EmulatorError("the emulator is not running")
        assert self._proc.stdin is not None and self._proc.stdout is not None
        self._proc.stdin.write(json.dumps(cmd).encode() + b"\n")
        self._proc.stdin.flush()
        line = self._proc.stdout.readline()
        if not line:
            raise EmulatorError("the emulator process died")
        answer = json.loads(line)
        if not answer.get("ok"):
            raise EmulatorError(answer.get("error", "unknown error"))
        return answer

    def move(self, servo: str, present: int) -> None:
        """Move ``servo``'s shaft so that its ``Present_Position`` reads ``present`` ticks."""
        self._call(op="move", servo=servo, present=present)

    def attach(self, servo: str, attached: bool = True) -> None:
        """Plug ``servo`` into the bus (or unplug it with ``attached=False``)."""
        self._call(op="attach", servo=servo, attached=attached)

    def detach(self, servo: str) -> None:
        """Unplug ``servo``: it no longer answers."""
        self.attach(servo, False)

    def inject(
        self,
        servo: str,
        *,
        no_reply: int = 0,
        corrupt: int = 0,
        delay_s: float = 0.0,
        error: int = 0,
        noise: int = 0,
    ) -> None:
        """Set ``servo``'s faults: drop the next ``no_reply`` replies, corrupt the checksum of
        the next ``corrupt`` ones (-1: forever), delay every reply by ``delay_s``, and report
        ``error`` bits in its status packets, and send stray bytes before the next ``noise``
        replies. Replaces earlier faults; ``inject(name)`` clears them."""
        faults = {
            "no_reply": no_reply,
            "corrupt": corrupt,
            "delay_s": delay_s,
            "error": error,
            "noise": noise,
        }
        self._call(op="faults", servo=servo, faults=faults)

    def power_cycle(self, servo: str) -> None:
        """Switch ``servo`` off and on: unpersisted EEPROM writes and all RAM are lost."""
        self._call(op="power_cycle", servo=servo)

    def register(self, servo: str, register: str) -> int:
        """The raw (unsigned) content of a register, read behind the bus's back."""
        return int(self._call(op="get", servo=servo, register=register)["value"])

    def set_register(self, servo: str, register: str, value: int) -> None:
        """Overwrite a register behind the bus's back (no access rules)."""
        self._call(op="set", servo=servo, register=register, value=value)

    def state(self) -> dict[str, dict[str, Any]]:
        """Per servo: id, model, baudrate, attached, torque, actual and present position."""
        return self._call(op="state")["servos"]

    def stats(self) -> dict[str, int]:
        """Counters: requests parsed, replies sent, bad frames dropped."""
        return self._call(op="stats")["stats"]


@contextmanager
def emulated_port(robot: str = "so101", side: str = "follower", **options: Any) -> Iterator[str]:
    """The port path of an emulated arm, for as long as the block runs::

        with emulated_port("so101") as port:
            bus = FeetechMotorsBus(port, robot_motors("so101").motors)

    ``options`` go to :class:`ServoEmulator` (``tau``, ``link``, ``one_at_a_time``).
    """
    with ServoEmulator(robot_servos(robot, side), **options) as emu:
        yield emu.port
