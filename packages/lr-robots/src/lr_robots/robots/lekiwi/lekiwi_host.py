"""The LeKiwi host: runs on the robot's Pi, applies the client's commands and streams
observations back (LeRobot 0.6.1's ``lekiwi_host.py``, same sockets and messages).

::

    lr lekiwi-host --robot.id=my_kiwi --robot.port=/dev/ttyACM0 --host.connection_time_s=600
    python -m lr_robots.robots.lekiwi.lekiwi_host --robot.id=my_kiwi     # LeRobot's form

Each loop iteration (``max_loop_freq_hz``, 30 Hz):

1. take the newest command, if any (the PULL socket keeps only the newest, ``CONFLATE``);
   check it (:func:`~lr_robots.robots.lekiwi.protocol.decode_command`: size, UTF-8 JSON, known
   keys, finite numbers within range) and send it to the robot. A bad command is logged and
   dropped: it never moves the robot, never stops the host, and does not count as a command
   for the watchdog;
2. **watchdog**: when no valid command came for ``watchdog_timeout_ms`` (500 ms), the wheels are
   stopped, once, until commands resume (the arm holds its last goal, as on LeRobot);
3. read the robot and push the observation (header + JPEGs); with no client it is dropped.

The host exits after ``connection_time_s``, on Ctrl-C or SIGTERM, or on a hardware error (the
error names the motor); every way out stops the wheels and disables torque (or holds the arm).
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from lr_core.errors import FeatureError, WireFormatError, require
from lr_robots.robots.lekiwi.config import LeKiwiHostConfig, LeKiwiServerConfig
from lr_robots.robots.lekiwi.protocol import (
    MAX_COMMAND_BYTES,
    command_limits,
    decode_command,
    encode_observation,
)

logger = logging.getLogger(__name__)


class LeKiwiHost:
    """The host's sockets (LeRobot's class and attribute names): a PULL socket for commands
    (``CONFLATE``, inbound messages over :data:`MAX_COMMAND_BYTES` cut the sender off) and a
    PUSH socket for observations (``SNDHWM`` 2), bound on every interface. A port of 0 binds a
    free one; :attr:`port_zmq_cmd` / :attr:`port_zmq_observations` give the ports bound."""

    def __init__(self, config: LeKiwiHostConfig) -> None:
        zmq: Any = require("zmq", "lekiwi", "lr-robots")
        self._zmq = zmq
        self.zmq_context = zmq.Context()
        try:
            self.zmq_cmd_socket = self.zmq_context.socket(zmq.PULL)
            self.zmq_cmd_socket.setsockopt(zmq.CONFLATE, 1)
            self.zmq_cmd_socket.setsockopt(zmq.MAXMSGSIZE, MAX_COMMAND_BYTES)
            self.zmq_cmd_socket.setsockopt(zmq.LINGER, 0)
            self.port_zmq_cmd = self._bind(self.zmq_cmd_socket, config.port_zmq_cmd)
            self.zmq_observation_socket = self.zmq_context.socket(zmq.PUSH)
            self.zmq_observation_socket.setsockopt(zmq.SNDHWM, 2)
            self.zmq_observation_socket.setsockopt(zmq.LINGER, 0)
            self.port_zmq_observations = self._bind(
                self.zmq_observation_socket, config.port_zmq_observations
            )
        except BaseException:
            self.zmq_context.destroy(linger=0)
            raise
        self.connection_time_s = config.connection_time_s
        self.watchdog_timeout_ms = config.watchdog_timeout_ms
        self.max_loop_freq_hz = config.max_loop_freq_hz

    def _bind(self, socket: Any, port: int) -> int:
        if port == 0:
            return int(socket.bind_to_random_port("tcp://*"))
        try:
            socket.bind(f"tcp://*:{port}")
        except self._zmq.ZMQError as exc:
            from lr_core.errors import ConfigError

            raise ConfigError(
                f"cannot listen on TCP port {port}: {exc} (another host still running?)"
            ) from None
        return port

    def receive_command(self) -> bytes | None:
        """The newest command's bytes, or ``None`` when none is waiting."""
        try:
            return bytes(self.zmq_cmd_socket.recv(self._zmq.NOBLOCK))
        except self._zmq.Again:
            return None

    def send_observation(self, parts: Sequence[bytes]) -> bool:
        """Push one observation; ``False`` when it was dropped (no client, or a slow one)."""
        try:
            self.zmq_observation_socket.send_multipart(list(parts), flags=self._zmq.NOBLOCK)
        except self._zmq.Again:
            return False
        return True

    def disconnect(self) -> None:
        """Close both sockets and the context."""
        self.zmq_observation_socket.close(linger=0)
        self.zmq_cmd_socket.close(linger=0)
        self.zmq_context.term()


@dataclass
class HostStats:
    """What a host run did, printed at its end."""

    loops: int = 0
    commands: int = 0
    dropped: int = 0
    watchdog_stops: int = 0
    observations: int = 0
    unsent: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        """One line for the log."""
        rate = self.loops / self.seconds if self.seconds > 0 else 0.0
        return (
            f"{self.loops} loops in {self.seconds:.1f} s ({rate:.1f} Hz), {self.commands} "
            f"commands applied, {self.dropped} malformed commands dropped, "
            f"{self.watchdog_stops} watchdog stops, {self.observations} observations sent, "
            f"{self.unsent} dropped"
        )


class _DropLog:
    """Logs dropped commands without flooding: the first at once, then a count per second."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self.pending = 0
        self.last_error = ""
        self.last_log = -float("inf")

    def add(self, error: str) -> None:
        self.pending += 1
        self.last_error = error
        if self.clock() - self.last_log >= 1.0:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            logger.warning("dropped %d malformed command(s); last: %s", self.pending,
                           self.last_error)  # fmt: skip
        self.pending = 0
        self.last_log = self.clock()


def serve(
    robot: Any,
    host: LeKiwiHost,
    *,
    stats: HostStats | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> HostStats:
    """Run the host loop (module docstring) with a connected ``robot`` until
    ``connection_time_s`` passes; Ctrl-C / SIGTERM (``KeyboardInterrupt``) and hardware errors
    propagate. Returns the run's statistics (``stats``, updated as it runs, when given)."""
    from lr_robots.control.timing import Ticker

    stats = stats if stats is not None else HostStats()
    limits = command_limits(robot.bus.motors, robot.arm_motors)
    state_keys = list(robot.action_features)
    cameras = list(robot.cameras)
    drops = _DropLog(clock)
    timeout_s = host.watchdog_timeout_ms / 1000
    ticker = Ticker(host.max_loop_freq_hz)
    start = last_command = clock()
    watchdog_active = False
    logger.info("waiting for commands")
    try:
        while host.connection_time_s is None or clock() - start < host.connection_time_s:
            data = host.receive_command()
            if data is not None:
                try:
                    action = decode_command(data, limits)
                    robot.send_action(action)
                except (WireFormatError, FeatureError) as exc:
                    stats.dropped += 1
                    drops.add(str(exc))
                else:
                    stats.commands += 1
                    last_command = clock()
                    if watchdog_active:
                        logger.info("commands resumed")
                    watchdog_active = False
            if not watchdog_active and clock() - last_command > timeout_s:
                logger.warning("no command for more than %d ms: stopping the base",
                               host.watchdog_timeout_ms)  # fmt: skip
                robot.stop_base()
                watchdog_active = True
                stats.watchdog_stops += 1
            observation = robot.get_observation()
            state = {key: observation[key] for key in state_keys}
            frames = {key: observation[key] for key in cameras}
            if host.send_observation(encode_observation(state, frames)):
                stats.observations += 1
            else:
                stats.unsent += 1
            stats.loops += 1
            ticker.wait()
        logger.info("connection_time_s (%s s) reached", host.connection_time_s)
    finally:
        drops.flush()
        stats.seconds = clock() - start
    return stats


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``lr lekiwi-host`` (also ``python -m lr_robots.robots.lekiwi.lekiwi_host``)."""
    from lr_core.config import parse_cli
    from lr_robots.control.session import run_safely
    from lr_robots.robots.lekiwi.robot import LeKiwi

    cfg = parse_cli(LeKiwiServerConfig, list(sys.argv[1:] if argv is None else argv),
                    prog="lr lekiwi-host")  # fmt: skip
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    robot = LeKiwi(cfg.robot)
    stats = HostStats()

    def body() -> None:
        host = LeKiwiHost(cfg.host)
        try:
            print(f"LeKiwi host: commands on port {host.port_zmq_cmd}, observations on port "
                  f"{host.port_zmq_observations}", flush=True)  # fmt: skip
            serve(robot, host, stats=stats)
        finally:
            host.disconnect()

    try:
        stopped = run_safely([robot], [], body)
    finally:
        print(f"LeKiwi host finished: {stats.summary()}", flush=True)
    if stopped:
        print(f"LeKiwi host stopped by {stopped}", flush=True)
    return 0


if __name__ == "__main__":  # LeRobot's form; errors reported as by ``lr lekiwi-host``
    from lr_core.cli import main as lr_main

    sys.exit(lr_main(["lekiwi-host", *sys.argv[1:]]))
