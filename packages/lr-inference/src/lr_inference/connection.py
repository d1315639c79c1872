"""A client's link to a policy server: one DEALER socket, the handshake, heartbeats, the clock
offset, and reconnecting by itself.

States::

    handshaking ──Welcome──► ready ──(no_session | server silent > timeout_s)──► handshaking
         │                                                                          ▲
         └──ErrorReply(handshake_refused)──► HandshakeRefusedError raised           │
    any ──CURVE key refused (socket monitor)──► AuthenticationError raised          │
                                            (a new socket, the same routing id) ────┘

The socket keeps one routing id for the client's lifetime and the server sets
``ROUTER_HANDOVER``, so a TCP reconnect keeps the server-side session. Nothing here blocks
longer than the timeout given to :meth:`Connection.poll`; the robot's control loop calls it
between ticks.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lr_core.errors import ConfigError, WireFormatError
from lr_core.messages import ErrorReply, PolicySpec, WireMessage
from lr_inference import transport
from lr_inference.clock import ClockSync
from lr_inference.errors import AuthenticationError, HandshakeRefusedError
from lr_inference.protocol import (
    HANDSHAKE_REFUSED,
    NO_SESSION,
    PROTOCOL_VERSION,
    Bye,
    Hello,
    Ping,
    Pong,
    Welcome,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ConnectionOptions:
    """How a client talks to the server.

    - ``heartbeat_s``: ping period while connected (also feeds the clock offset);
    - ``timeout_s``: a server silent this long (no reply, no pong) is considered gone: the
      socket is replaced and the handshake redone;
    - ``handshake_timeout_s``: how long a Hello may wait for its Welcome while the server is
      reachable (loading a large policy takes a while) before it is sent again;
    - ``max_message_bytes``: the largest message accepted from the server;
    - ``client_secret_key`` / ``server_public_key``: CurveZMQ key files (both or neither).
    """

    heartbeat_s: float = 0.5
    timeout_s: float = 3.0
    handshake_timeout_s: float = 120.0
    max_message_bytes: int = transport.DEFAULT_MAX_MESSAGE_BYTES
    client_secret_key: Path | None = None
    server_public_key: Path | None = None
    client_name: str = ""

    def __post_init__(self) -> None:
        if (self.client_secret_key is None) != (self.server_public_key is None):
            raise ConfigError(
                "CurveZMQ needs both keys on the client: keys.client_secret_key (this robot's "
                ".key_secret) and keys.server_public_key (the server's .key)"
            )
        if not 0 < self.heartbeat_s < self.timeout_s:
            raise ConfigError(
                f"heartbeat_s ({self.heartbeat_s}) must be positive and below timeout_s "
                f"({self.timeout_s})"
            )


class Connection:
    """See the module docstring. Not thread-safe: one thread owns it."""

    def __init__(
        self,
        address: str,
        spec: PolicySpec,
        options: ConnectionOptions | None = None,
        *,
        context: Any = None,
    ) -> None:
        import zmq

        self.address = transport.normalize_address(address)
        self.spec = spec
        self.options = options or ConnectionOptions()
        self._zmq = zmq
        self._context = context or zmq.Context.instance()
        self.routing_id = b"lr-" + os.urandom(12).hex().encode()
        self.clock = ClockSync()
        self.state = "closed"
        self.welcome: Welcome | None = None
        #: Incremented at every accepted handshake: a caller holding a request from an older
        #: generation knows the server forgot it.
        self.generation = 0
        self.reconnects = 0
        self.rejected_messages = 0
        self._socket: Any = None
        self._monitor: Any = None
        self._poller: Any = None
        self._failed_handshakes = 0
        self._hello_sent: float | None = None
        self._last_heard = 0.0
        self._last_ping = 0.0
        self._bad = transport.RateLimitedLog(logger)
        if self.address.startswith("tcp://") and self.options.client_secret_key is None:
            host = transport.host_of(self.address)
            if not transport.is_loopback(host):
                logger.warning(
                    "connecting to %s without CurveZMQ keys: observations and actions travel "
                    "unencrypted and the server cannot tell this client from any other; see "
                    "`lr keys generate`",
                    self.address,
                )

    # ------------------------------------------------------------------ lifecycle

    @property
    def ready(self) -> bool:
        """Whether the handshake is done and requests may be sent."""
        return self.state == "ready"

    def open(self) -> None:
        """Create the socket and send the Hello (returns at once; :meth:`poll` completes it)."""
        self._new_socket()
        self.state = "handshaking"
        self._last_heard = time.monotonic()
        self._send_hello()

    def close(self, reason: str = "client closed") -> None:
        """Say Bye (best effort) and close the socket."""
        if self._socket is not None:
            if self.state == "ready":
                transport.send_message(self._socket, Bye(reason=reason))
            self._close_socket()
        self.state = "closed"

    def _new_socket(self) -> None:
        zmq = self._zmq
        sock = self._context.socket(zmq.DEALER)
        sock.setsockopt(zmq.ROUTING_ID, self.routing_id)
        # Queue nothing for a server that is not connected: a request sent while it is down
        # fails now instead of arriving seconds later, stale.
        sock.setsockopt(zmq.IMMEDIATE, 1)
        sock.setsockopt(zmq.RECONNECT_IVL, 100)
        sock.setsockopt(zmq.RECONNECT_IVL_MAX, 1000)
        sock.setsockopt(zmq.SNDHWM, 16)
        transport.common_options(sock, max_message_bytes=self.options.max_message_bytes)
        if self.options.client_secret_key is not None:
            assert self.options.server_public_key is not None
            transport.curve_client(
                sock,
                client_secret_key=self.options.client_secret_key,
                server_public_key=self.options.server_public_key,
            )
        self._monitor = sock.get_monitor_socket(
            zmq.EVENT_HANDSHAKE_FAILED_AUTH
            | zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL
            | zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL
            | zmq.EVENT_HANDSHAKE_SUCCEEDED
        )
        self._failed_handshakes = 0
        sock.connect(self.address)
        self._socket = sock
        self._poller = zmq.Poller()
        self._poller.register(sock, zmq.POLLIN)
        self._poller.register(self._monitor, zmq.POLLIN)

    def _close_socket(self) -> None:
        if self._socket is None:
            return
        try:
            self._socket.disable_monitor()
        except self._zmq.ZMQError:
            pass
        self._monitor.close(linger=0)
        self._socket.close(linger=0)
        self._socket = self._monitor = self._poller = None

    def handshake_again(self, spec: PolicySpec) -> None:
        """Replace the session with one for ``spec`` (e.g. another ``actions_per_chunk``)."""
        self.spec = spec
        self.welcome = None
        if self._socket is None:
            self.open()
            return
        self.state = "handshaking"
        self._send_hello()

    def reset(self, reason: str) -> None:
        """Replace the socket and redo the handshake (keeps the routing id)."""
        logger.warning("policy server %s: %s; reconnecting", self.address, reason)
        self.reconnects += 1
        self._close_socket()
        self.open()

    # ------------------------------------------------------------------ sending

    def send(self, message: WireMessage) -> bool:
        """Send a request; ``False`` when not connected or ZeroMQ cannot take it now."""
        if self.state != "ready" or self._socket is None:
            return False
        return transport.send_message(self._socket, message)

    def _send_hello(self) -> None:
        hello = Hello(
            protocol=PROTOCOL_VERSION,
            spec=self.spec,
            client_time=transport.now(),
            client_name=self.options.client_name,
        )
        if transport.send_message(self._socket, hello):
            self._hello_sent = time.monotonic()
        else:
            self._hello_sent = None  # not connected yet: maintain() retries

    # ------------------------------------------------------------------ receiving

    def poll(self, timeout_s: float) -> WireMessage | None:
        """Wait up to ``timeout_s`` for a reply to a request and return it (``ActionChunk``,
        ``ActionChunkBatch``, ``ObservationSkipped`` or ``ErrorReply``), handling handshake,
        heartbeats and reconnects on the way. ``None`` when nothing arrived.

        Raises :class:`HandshakeRefusedError` or :class:`AuthenticationError`.
        """
        deadline = time.monotonic() + max(timeout_s, 0.0)
        while True:
            self.maintain()
            remaining = deadline - time.monotonic()
            wait = min(remaining, self.options.heartbeat_s / 2)
            events = dict(self._poller.poll(max(0, int(wait * 1000)) if wait > 0.001 else 0))
            if self._monitor in events:
                self._check_monitor()
            if self._socket in events:
                while True:
                    try:
                        frames = self._socket.recv_multipart(flags=self._zmq.NOBLOCK, copy=False)
                    except self._zmq.Again:
                        break
                    message = self._receive(frames)
                    if message is not None:
                        return message
            if time.monotonic() >= deadline:
                return None
            if not events and wait < 0.001:
                # sub-millisecond remainder: sleep it off rather than spin
                time.sleep(max(0.0, deadline - time.monotonic()))

    def _receive(self, frames: list[Any]) -> WireMessage | None:
        received = transport.now()
        try:
            message = transport.decode_frames(frames)
        except WireFormatError as exc:
            self.rejected_messages += 1
            self._bad.warning("rejected a message from the server: %s", exc)
            return None
        self._last_heard = time.monotonic()
        if isinstance(message, Pong):
            self.clock.add(
                message.client_time, message.server_received, message.server_sent, received
            )
            return None
        if isinstance(message, Welcome):
            self._on_welcome(message, received)
            return None
        if isinstance(message, ErrorReply):
            if message.error == HANDSHAKE_REFUSED:
                self.state = "refused"
                self._close_socket()
                raise HandshakeRefusedError(
                    f"the policy server at {self.address} refused the handshake: {message.message}"
                )
            if message.error == NO_SESSION and self.state == "ready":
                logger.warning(
                    "policy server %s no longer knows this client (it restarted?); "
                    "handshaking again",
                    self.address,
                )
                self.state = "handshaking"
                self._send_hello()
        if self.state != "ready" and not isinstance(message, ErrorReply):
            return None  # a late reply from before a reconnect
        return message

    def _on_welcome(self, welcome: Welcome, received: float) -> None:
        if self.state != "handshaking":
            return
        if welcome.protocol != PROTOCOL_VERSION:
            self.state = "refused"
            raise HandshakeRefusedError(
                f"the policy server at {self.address} speaks protocol {welcome.protocol}, this "
                f"client {PROTOCOL_VERSION}: install matching lr-inference versions"
            )
        self.clock.add(welcome.client_time, welcome.server_received, welcome.server_sent, received)
        self.welcome = welcome
        self.state = "ready"
        self.generation += 1
        logger.info(
            "connected to policy server %s: %s, session %s, clock offset %+.1f ms",
            self.address,
            welcome.policy.policy_type,
            welcome.session,
            1e3 * self.clock.offset,
        )

    def _check_monitor(self) -> None:
        from zmq.utils.monitor import recv_monitor_message

        while True:
            try:
                event = recv_monitor_message(self._monitor, flags=self._zmq.NOBLOCK)
            except self._zmq.Again:
                return
            kind = event["event"]
            if kind == self._zmq.EVENT_HANDSHAKE_FAILED_AUTH:
                self.state = "refused"
                self._close_socket()
                raise AuthenticationError(
                    f"the policy server at {self.address} refused this client's CurveZMQ key "
                    f"({self.options.client_secret_key}): copy this client's public .key file "
                    "into the server's keys.allowed_clients folder and restart the server"
                )
            if kind == self._zmq.EVENT_HANDSHAKE_SUCCEEDED:
                self._failed_handshakes = 0
                continue
            # A server that cannot decrypt (wrong server key) just drops the connection: the
            # client sees "no detail". Once is a blip; three times in a row is the keys.
            self._failed_handshakes += 1
            if kind == self._zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL or self._failed_handshakes >= 3:
                self.state = "refused"
                self._close_socket()
                keys = "with" if self.options.client_secret_key else "without"
                raise AuthenticationError(
                    f"the secure handshake with {self.address} failed (this client runs {keys} "
                    "CurveZMQ keys): the server's public key is wrong, or only one side uses "
                    "keys; both sides need them (see `lr keys generate`)"
                )

    # ------------------------------------------------------------------ heartbeats, timeouts

    def maintain(self) -> None:
        """Heartbeats, handshake retries and the silence timeout (called by :meth:`poll`)."""
        if self.state not in ("handshaking", "ready"):
            return
        current = time.monotonic()
        opts = self.options
        silent = current - self._last_heard
        if self.state == "ready" and silent > opts.timeout_s:
            self.reset(f"no answer for {silent:.1f} s")
            return
        if self.state == "handshaking":
            hello_age = float("inf") if self._hello_sent is None else current - self._hello_sent
            # Resend the Hello when it could not be sent, when the server went silent after it
            # (it died before answering: its successor never saw it), or when a reachable
            # server took longer than handshake_timeout_s.
            unanswered = silent > opts.timeout_s and hello_age > opts.timeout_s
            if hello_age > opts.handshake_timeout_s or unanswered or self._hello_sent is None:
                if unanswered:
                    logger.warning(
                        "no answer from the policy server at %s for %.0f s; still trying",
                        self.address,
                        silent,
                    )
                self._send_hello()
        # Pings also flow while handshaking: a server busy loading a policy still answers,
        # which tells a slow load from a dead server.
        if current - self._last_ping >= opts.heartbeat_s and transport.send_message(
            self._socket, Ping(client_time=transport.now())
        ):
            self._last_ping = current
