"""``LeKiwiClient``: LeKiwi seen from the laptop, through its host (LeRobot's ``lekiwi_client``).

The same :class:`~lr_core.robot.Robot` interface as :class:`~lr_robots.robots.lekiwi.robot.
LeKiwi`: ``send_action`` pushes a command to the host, ``get_observation`` returns the newest
observation it pushed back, frames decoded to ``(H, W, 3)`` RGB. Messages and sockets are
LeRobot 0.6.1's (:mod:`~lr_robots.robots.lekiwi.protocol`), so this client drives a LeRobot host
and LeRobot's client drives ``lr lekiwi-host``.

- ``connect`` waits up to ``connect_timeout_s`` for the first observation, else raises
  :class:`~lr_core.errors.DeviceNotConnectedError` naming the address.
- ``get_observation`` waits up to ``polling_timeout_ms`` for a new observation, drains what
  arrived and keeps the newest, and otherwise serves the last one (so a control loop keeps its
  rate). As with LeRobot's client, after a pause in reading the first observations read are
  the few that were queued (high-water marks of 2 on both sides, plus TCP buffers): the host
  drops the newer ones while the queue is full. Until a camera's
  first frame arrives it reads black; an observation or frame that fails the checks is logged
  and skipped. When the host goes away (a restart, Wi-Fi) nothing fails: a warning says since
  when observations are stale, and ZeroMQ reconnects by itself when the host is back.
- ``send_action`` refuses keys LeKiwi does not take and values that are not finite numbers
  (naming them) before sending, and sends every key (:meth:`LeKiwiClient.complete_action`): a
  missing base velocity as 0 (stop), a missing arm joint at its hold position (the last goal
  sent, else its last observed position). LeRobot 0.6.1's host needs all three velocities
  (``KeyError`` otherwise) and at least one arm joint: without one its ``send_action`` calls
  ``bus.sync_write("Goal_Position", {})``, which raises ``StopIteration`` before the wheels are
  written, and the command is dropped ("Message fetching failed"). So base-only actions (the
  keyboard alone) and the stop below move a LeRobot host too. It returns what was sent.
- Commands go on one PUSH socket, in order, without LeRobot's ``CONFLATE`` (libzmq drops a
  ``CONFLATE`` socket's unsent message at close whatever its ``LINGER``, and a second socket
  would let the host's fair queueing apply a stale command after the stop). ``IMMEDIATE``
  queues commands only while connected to the host, so none goes stale waiting for a host
  that is away; ``connect`` waits for that connection too.
- ``disconnect`` sends a last command stopping the base (the arm at its hold position, the
  velocities 0), so the base does not coast until the host's watchdog: a blocking send (at
  most :data:`STOP_SEND_TIMEOUT_MS`) behind any command still queued, then up to
  :data:`STOP_LINGER_MS` for it to leave. When it could not be sent or did not leave in that
  time (the host is gone, the network is down) a warning says so, and that the host's
  watchdog stops the wheels ``watchdog_timeout_ms`` (500 ms) after the last command it
  received.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterable, Mapping
from functools import cached_property
from typing import Any, ClassVar

import numpy as np

from lr_core.errors import (
    ConfigError,
    DeviceAlreadyConnectedError,
    DeviceNotConnectedError,
    FeatureError,
    WireFormatError,
    require,
)
from lr_core.features import HardwareFeatures
from lr_core.robot import Robot
from lr_robots.devices import camera_features
from lr_robots.robots.lekiwi.config import LeKiwiClientConfig
from lr_robots.robots.lekiwi.kinematics import BASE_KEYS
from lr_robots.robots.lekiwi.protocol import (
    MAX_CAMERAS,
    MAX_HEADER_BYTES,
    decode_frame,
    decode_observation,
    encode_command,
)
from lr_robots.robots.lekiwi.robot import state_features
from lr_robots.teleoperators.keyboard.config import LEKIWI_SPEED_LEVELS
from lr_robots.teleoperators.keyboard.holonomic import LeKiwiBaseKeys

logger = logging.getLogger(__name__)

#: After this long without an observation the client warns that it serves a stale one (s).
STALE_AFTER_S = 1.0
#: Largest observation accepted from the network (bytes); a larger one cuts the host off.
MAX_OBSERVATION_BYTES = MAX_HEADER_BYTES + MAX_CAMERAS * 16 * 1024 * 1024
#: How long ``disconnect`` waits to queue the stopping command (ms).
STOP_SEND_TIMEOUT_MS = 1000
#: How long ``disconnect`` then waits for the stopping command to leave (ms): long enough for a
#: loaded laptop's ZeroMQ I/O thread to write it, short enough that a client whose host is gone
#: still quits promptly.
STOP_LINGER_MS = 2000


class LeKiwiClient(Robot):
    """See the module docstring; config :class:`LeKiwiClientConfig`."""

    config_class: ClassVar[type[LeKiwiClientConfig]] = LeKiwiClientConfig
    name: ClassVar[str] = "lekiwi_client"

    def __init__(self, config: LeKiwiClientConfig) -> None:
        super().__init__(config)
        self.config = config
        depth = [k for k, c in config.cameras.items() if getattr(c, "use_depth", False)]
        if depth:
            raise ConfigError(
                f"LeKiwi carries colour frames only; cameras {depth} have use_depth=true"
            )
        self.remote_ip = config.remote_ip
        self.port_zmq_cmd = config.port_zmq_cmd
        self.port_zmq_observations = config.port_zmq_observations
        self.teleop_keys = config.teleop_keys
        self.polling_timeout_ms = config.polling_timeout_ms
        self.connect_timeout_s = config.connect_timeout_s
        self._base_keys = LeKiwiBaseKeys(config.teleop_keys, LEKIWI_SPEED_LEVELS)
        self._held: frozenset[str] = frozenset()
        self._frame_shapes = {
            name: shape for name, shape in camera_features(config.cameras).items()
        }
        self.last_remote_state: dict[str, float] = dict.fromkeys(self._state_order, 0.0)
        #: whether :attr:`last_remote_state` came from the host (not the zeros above)
        self._state_received = False
        #: the last goal sent to each arm joint
        self._arm_goals: dict[str, float] = {}
        self.last_frames: dict[str, np.ndarray] = {
            name: np.zeros(shape, np.uint8) for name, shape in self._frame_shapes.items()
        }
        self.zmq_context: Any = None
        self.zmq_cmd_socket: Any = None
        self.zmq_observation_socket: Any = None
        self._zmq: Any = None
        self._is_connected = False
        self._last_message: float | None = None
        self._stale = False
        self._errors_logged = 0.0

    def __str__(self) -> str:
        return f"lekiwi_client {self.id!r} of tcp://{self.remote_ip}"

    # features -------------------------------------------------------------------------------
    @cached_property
    def _state_order(self) -> tuple[str, ...]:
        return tuple(state_features())

    # cached_property for Robot's abstract read-only property: pyright calls it incompatible
    # because a cached value may be assigned; nothing assigns it.
    @cached_property
    def observation_features(self) -> HardwareFeatures:  # pyright: ignore[reportIncompatibleMethodOverride]
        """``arm_<joint>.pos``, ``x.vel``, ``y.vel``, ``theta.vel``, then each camera."""
        return {**state_features(), **self._frame_shapes}

    @cached_property
    def action_features(self) -> HardwareFeatures:  # pyright: ignore[reportIncompatibleMethodOverride]  # as above
        """``arm_<joint>.pos``, ``x.vel``, ``y.vel``, ``theta.vel``."""
        return state_features()

    # connection -----------------------------------------------------------------------------
    @property
    def is_connected(self) -> bool:
        """Whether the sockets are open (the host answered once)."""
        return self._is_connected

    @property
    def is_calibrated(self) -> bool:
        """Always true here: the robot's calibration lives on the robot (``lr calibrate
        --robot.type=lekiwi`` on the Pi)."""
        return True

    def calibrate(self) -> None:
        """Nothing to calibrate on the laptop side (see :attr:`is_calibrated`)."""

    def configure(self) -> None:
        """Nothing to configure on the laptop side."""

    def connect(self, calibrate: bool = True) -> None:
        """Open the sockets to the host and wait for its first observation.

        Raises:
            DeviceAlreadyConnectedError; DeviceNotConnectedError when no observation arrives
            within ``connect_timeout_s``.
        """
        if self._is_connected:
            raise DeviceAlreadyConnectedError(f"{self} is already connected")
        zmq: Any = require("zmq", "lekiwi", "lr-robots")
        self._zmq = zmq
        # hold positions come from this connection only (the host may have restarted since)
        self._arm_goals.clear()
        self._state_received = False
        self.zmq_context = zmq.Context()
        self.zmq_cmd_socket = self.zmq_context.socket(zmq.PUSH)
        self.zmq_cmd_socket.setsockopt(zmq.IMMEDIATE, 1)
        self.zmq_cmd_socket.setsockopt(zmq.SNDHWM, 2)
        self.zmq_cmd_socket.setsockopt(zmq.LINGER, 0)
        self.zmq_cmd_socket.connect(f"tcp://{self.remote_ip}:{self.port_zmq_cmd}")
        self.zmq_observation_socket = self.zmq_context.socket(zmq.PULL)
        self.zmq_observation_socket.setsockopt(zmq.RCVHWM, 2)
        self.zmq_observation_socket.setsockopt(zmq.MAXMSGSIZE, MAX_OBSERVATION_BYTES)
        self.zmq_observation_socket.setsockopt(zmq.LINGER, 0)
        address = f"tcp://{self.remote_ip}:{self.port_zmq_observations}"
        self.zmq_observation_socket.connect(address)
        deadline = time.monotonic() + self.connect_timeout_s
        parts = self._latest(int(self.connect_timeout_s * 1000))
        # with IMMEDIATE the command socket is writable once its connection is up
        left_ms = max(0, int((deadline - time.monotonic()) * 1000))
        if parts is None or not self.zmq_cmd_socket.poll(left_ms, zmq.POLLOUT):
            self._close()
            what = "observation from" if parts is None else "command connection to"
            raise DeviceNotConnectedError(
                f"{self}: no {what} the LeKiwi host at {address} within "
                f"{self.connect_timeout_s} s; is `lr lekiwi-host` running on the robot, with "
                "the same ports, and is the address reachable?"
            )
        self._is_connected = True
        self._update(parts)
        logger.info("%s connected", self)

    def _close(self) -> None:
        for sock in (self.zmq_cmd_socket, self.zmq_observation_socket):
            if sock is not None:
                sock.close()
        if self.zmq_context is not None:
            self.zmq_context.term()
        self.zmq_cmd_socket = self.zmq_observation_socket = self.zmq_context = None

    def disconnect(self) -> None:
        """Send a command stopping the base, wait for it to leave, then close the sockets.

        The stop is a whole command, :meth:`complete_action` of zero velocities (the arm at its
        hold position), so LeRobot's host applies it too. It is queued behind any command not
        yet sent, on the same connection, so the host applies it last. Blocks at most
        ``STOP_SEND_TIMEOUT_MS + STOP_LINGER_MS``; when the stop could not be queued (no
        connection to the host) or did not leave in time, logs a warning naming the host
        (whose watchdog then stops the wheels) instead of raising, so the rest of a shutdown
        runs.
        """
        if not self._is_connected:
            raise DeviceNotConnectedError(f"{self} is not connected")
        self._is_connected = False
        zmq = self._zmq
        sock = self.zmq_cmd_socket
        address = f"tcp://{self.remote_ip}:{self.port_zmq_cmd}"
        queued = False
        try:
            sock.setsockopt(zmq.SNDTIMEO, STOP_SEND_TIMEOUT_MS)
            sock.send_string(encode_command(self.complete_action({})))
            queued = True
            sock.setsockopt(zmq.LINGER, STOP_LINGER_MS)  # close() below waits for it to leave
        except zmq.ZMQError as exc:
            logger.warning(
                "%s: could not send the command stopping the base to %s (%s: no connection to "
                "the host?); the host's watchdog stops the wheels after its watchdog_timeout_ms",
                self, address, exc,
            )  # fmt: skip
        started = time.monotonic()
        try:
            self._close()  # the context's term() waits until the stop left or the linger ran out
        finally:
            if queued and (time.monotonic() - started) * 1000 >= STOP_LINGER_MS:
                logger.warning(
                    "%s: the command stopping the base did not leave for %s within %d ms (host "
                    "gone or network down?); the host's watchdog stops the wheels after its "
                    "watchdog_timeout_ms", self, address, STOP_LINGER_MS,
                )  # fmt: skip
        logger.info("%s disconnected", self)

    # observations ---------------------------------------------------------------------------
    def _latest(self, timeout_ms: int) -> list[bytes] | None:
        """Wait up to ``timeout_ms`` for an observation; drain the queue; the newest or None."""
        zmq = self._zmq
        sock = self.zmq_observation_socket
        if not sock.poll(timeout_ms, zmq.POLLIN):
            return None
        newest = None
        while True:
            try:
                newest = sock.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                return newest

    def _log_error(self, message: str) -> None:
        now = time.monotonic()
        if now - self._errors_logged >= 1.0:
            logger.warning("%s: %s", self, message)
            self._errors_logged = now

    def _update(self, parts: list[bytes]) -> None:
        """Take a received observation into :attr:`last_remote_state` / :attr:`last_frames`."""
        self._last_message = time.monotonic()
        if self._stale:
            logger.info("%s: observations from the host resumed", self)
            self._stale = False
        try:
            state, jpegs = decode_observation(parts, self._state_order)
        except WireFormatError as exc:
            self._log_error(f"skipped an observation: {exc}")
            return
        self.last_remote_state = state
        self._state_received = True
        for name, jpeg in jpegs.items():
            shape = self._frame_shapes.get(name)
            if shape is None:
                continue  # a camera this client was not configured with
            try:
                self.last_frames[name] = decode_frame(jpeg, shape[0], shape[1])
            except WireFormatError as exc:
                self._log_error(f"skipped a frame of camera {name!r}: {exc}")

    @property
    def observation_age_s(self) -> float | None:
        """Seconds since the last observation arrived (``None`` before the first)."""
        return None if self._last_message is None else time.monotonic() - self._last_message

    def get_observation(self) -> dict[str, Any]:
        """The newest observation: state keys then frames (module docstring)."""
        if not self._is_connected:
            raise DeviceNotConnectedError(f"{self} is not connected; call connect() first")
        parts = self._latest(self.polling_timeout_ms)
        if parts is not None:
            self._update(parts)
        age = self.observation_age_s
        if age is not None and age > STALE_AFTER_S and not self._stale:
            self._stale = True
            # the host may restart (torque off, the arm moved by hand or dropped): hold
            # positions come from observations after it is back, never from goals before
            self._arm_goals.clear()
            self._state_received = False
            logger.warning(
                "%s: no observation from the host for %.1f s; serving the last one until it "
                "is back (it reconnects by itself)", self, age,
            )  # fmt: skip
        return {**self.last_remote_state, **self.last_frames}

    # actions --------------------------------------------------------------------------------
    def send_action(self, action: dict[str, Any]) -> dict[str, Any]:
        """Push ``action`` to the host; return it as sent (base velocities filled with 0).

        Raises:
            FeatureError: a key LeKiwi does not take, or a value that is not a finite number.
            DeviceNotConnectedError.
        """
        if not self._is_connected:
            raise DeviceNotConnectedError(f"{self} is not connected; call connect() first")
        unknown = [key for key in action if key not in self.action_features]
        if unknown:
            raise FeatureError(
                f"{self}: action keys {unknown} are not LeKiwi's; valid keys: "
                + ", ".join(self.action_features)
            )
        given: dict[str, float] = {}
        for key, value in action.items():
            try:
                number = float(value)
            except (TypeError, ValueError):
                raise FeatureError(f"{self}: action {key!r} is {value!r}, not a number") from None
            if not math.isfinite(number):
                raise FeatureError(f"{self}: action {key!r} is {number}; refusing to send it")
            given[key] = number
        sent = self.complete_action(given)
        try:
            self.zmq_cmd_socket.send_string(encode_command(sent), self._zmq.NOBLOCK)
        except self._zmq.Again:
            self._log_error("not connected to the host (or its queue is full); command dropped")
        else:
            self._arm_goals.update((k, v) for k, v in sent.items() if k.endswith(".pos"))
        return sent

    def complete_action(self, action: Mapping[str, float]) -> dict[str, float]:
        """``action`` with every action key, in feature order: a missing base velocity is 0
        (stop), a missing arm joint its hold position (the last goal sent to it, else its
        last observed position). Before any observation came from the host a joint never
        commanded is left out (a LeRobot host then drops a command without any arm joint;
        lr's host applies it)."""
        out: dict[str, float] = {}
        for key in self._state_order:
            if key in action:
                out[key] = action[key]
            elif key in BASE_KEYS:
                out[key] = 0.0
            elif key in self._arm_goals:
                out[key] = self._arm_goals[key]
            elif self._state_received:
                out[key] = self.last_remote_state[key]
        return out

    # keyboard -------------------------------------------------------------------------------
    @property
    def speed_levels(self) -> list[dict[str, float]]:
        """The base's speed levels (LeRobot's attribute)."""
        return self._base_keys.speed_levels

    @property
    def speed_index(self) -> int:
        """The current speed level (LeRobot's attribute)."""
        return self._base_keys.speed_index

    def _from_keyboard_to_base_action(self, pressed_keys: Iterable[str] | Mapping[str, Any]
                                      ) -> dict[str, float]:  # fmt: skip
        """Base velocities for the keys held (LeRobot's method, for scripts that pair a leader
        arm with ``KeyboardTeleop(output="keys")``): ``teleop_keys`` w/s, a/d, z/x move and
        turn; r/f step the speed level once per press (LeRobot steps it on every call while
        the key is held)."""
        held = frozenset(str(k) for k in pressed_keys)
        for key in held - self._held:
            self._base_keys.press(key)
        self._held = held
        return self._base_keys.action(held)
