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

__all__ = [
    "EmulatorError",
    "ServoEmulator",
    "ServoSpec",
    "emulated_port",
    "parse_servos",
    "robot_servos",
]


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
    # plugged in one at a time from the last: in the order ``lr setup-motors`` asks for them
    names = list(reversed(preset.motors_to_set_up())) if factory else list(preset.motors)
    for name in names:
        motor = preset.motors[name]
        if factory:
            rate = 1_000_000 if preset.vendor == "feetech" else 57_600
            out.append(ServoSpec(name, motor.model, 1, rate, 2048, attached=False))
        else:
            out.append(ServoSpec(name, motor.model, motor.id))
    return out


def parse_servos(text: str, *, baudrate: int | None = None) -> list[ServoSpec]:
    """Servos from a command line: ``[NAME=]MODEL[:ID][@BAUD]`` items separated by commas, or
    a JSON list of :class:`ServoSpec` fields.

    ``"sm8512bl:1,sts3250:2,sts3250:3"`` gives three servos named ``sm8512bl_1``… at 1 Mbps;
    ``"pan=xl430-w250:1@57600,grip=xl330-m288:2"`` names them; ids default to 1, 2, 3… in
    order. ``baudrate`` (bits/s) applies to items that give none. Raises ``ValueError`` naming
    the item that is wrong (unknown model, repeated id or name, a baud rate the model lacks).
    """
    from lr_motors.emulator.models import model_spec

    text = text.strip()
    if not text:
        raise ValueError("no servos given; e.g. --servos=sts3215:1,sts3215:2")
    items: list[dict[str, Any]] = []
    if text.startswith("["):
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"--servos is not valid JSON: {exc}") from None
        if not isinstance(raw, list) or not all(isinstance(x, dict) for x in raw):
            raise ValueError("--servos as JSON must be a list of objects")
        items = [dict(x) for x in raw]
    else:
        for k, part in enumerate(p.strip() for p in text.split(",")):
            name, _, rest = part.rpartition("=")
            rest, _, baud = rest.partition("@")
            model, _, motor_id = rest.partition(":")
            item: dict[str, Any] = {"model": model.strip().lower()}
            try:
                item["id"] = int(motor_id) if motor_id else k + 1
                if baud:
                    item["baudrate"] = int(baud)
            except ValueError:
                raise ValueError(
                    f"servo {part!r}: expected [NAME=]MODEL[:ID][@BAUD] with integer id and baud"
                ) from None
            if name:
                item["name"] = name.strip()
            items.append(item)
    servos: list[ServoSpec] = []
    for k, item in enumerate(items):
        unknown = set(item) - {"name", "model", "id", "baudrate", "position", "attached"}
        if unknown or "model" not in item:
            raise ValueError(
                f"servo {k + 1} ({item}): fields are name, model, id, baudrate, position, "
                "attached, and model is required"
            )
        spec = model_spec(str(item["model"]))  # ValueError naming the known models
        motor_id = int(item.get("id", k + 1))
        item.setdefault("name", f"{spec.name}_{motor_id}")
        item.setdefault("baudrate", baudrate or 1_000_000)
        if int(item["baudrate"]) not in spec.baudrates:
            raise ValueError(
                f"servo {item['name']!r}: {spec.name} has no baud rate {item['baudrate']}; it "
                f"knows {', '.join(map(str, sorted(spec.baudrates)))}"
            )
        servos.append(ServoSpec(str(item["name"]), spec.name, motor_id,
                                int(item["baudrate"]), int(item.get("position", 2048)),
                                bool(item.get("attached", True))))  # fmt: skip
    for field_name in ("id", "name"):
        seen: dict[object, ServoSpec] = {}
        for servo in servos:
            key = getattr(servo, field_name)
            if key in seen and (field_name == "name" or seen[key].baudrate == servo.baudrate):
                raise ValueError(f"two servos share the {field_name} {key!r}")
            seen[key] = servo
    return servos


class ServoEmulator:
    """Start/stop an emulated servo bus; :attr:`port` is the path a client opens.

    Use as a context manager, or call :meth:`start` / :meth:`stop`. ``tau`` is the time
    constant (s) of the position response; ``link`` optionally creates a symlink to the pty.
    ``one_at_a_time`` plugs the servos in one by one, last first, swapping to the next when the
    current one has been set up (a new id, or a Baud_Rate write for one that keeps id 1, at
    1 Mbps): what ``lr setup-motors`` expects a person to do by hand.
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

    def press(self, servo: str, present: int) -> None:
        """A hand holds ``servo``'s shaft where ``Present_Position`` reads ``present``, against
        the motor (squeezing a leader's trigger gripper); :meth:`release` lets go."""
        self._call(op="press", servo=servo, present=present)

    def release(self, servo: str) -> None:
        """The hand lets go of ``servo``: with torque on it returns to its goal."""
        self._call(op="release", servo=servo)

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
