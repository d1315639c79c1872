"""ZeroMQ plumbing shared by the client and the server: addresses, socket options, CURVE,
and sending/receiving :mod:`lr_core.wire` messages as multipart frames without copies.

Every socket gets:

- ``MAXMSGSIZE`` = the largest frame accepted: ZeroMQ drops a peer that sends more before
  buffering it, so a hostile peer cannot make this side allocate gigabytes;
- ZMTP heartbeats (``HEARTBEAT_IVL`` / ``HEARTBEAT_TIMEOUT``): a dead TCP peer is noticed and
  the connection dropped even when no application message flows;
- ``LINGER`` 0: closing never blocks on unsent messages (a client that gave up must not hang).
"""

from __future__ import annotations

import ipaddress
import logging
import socket as pysocket
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lr_core import wire
from lr_core.errors import ConfigError
from lr_core.messages import WireMessage

logger = logging.getLogger(__name__)

#: Default largest message, in bytes (a few 1080p frames). Both sides enforce their own value.
DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024
#: ZMTP heartbeat period and timeout (ms).
HEARTBEAT_IVL_MS = 1000
HEARTBEAT_TIMEOUT_MS = 3000


def normalize_address(address: str) -> str:
    """``"host:port"`` → ``"tcp://host:port"``; ``tcp://`` and ``ipc://`` addresses pass.

    Raises :class:`ConfigError` for anything else (naming the expected forms).
    """
    text = address.strip()
    if text.startswith(("tcp://", "ipc://")):
        rest = text.split("://", 1)[1]
        if text.startswith("tcp://") and not _has_port(rest):
            raise ConfigError(f"server address {address!r} lacks a port: tcp://host:port")
        return text
    if "://" not in text and _has_port(text):
        return f"tcp://{text}"
    raise ConfigError(
        f"server address {address!r} is not of the form host:port, tcp://host:port or ipc:///path"
    )


def _has_port(host_port: str) -> bool:
    host, sep, port = host_port.rpartition(":")
    return bool(sep and host and port.isdigit() and 0 < int(port) < 65536)


def host_of(address: str) -> str:
    """The host part of a ``tcp://host:port`` address (brackets of IPv6 removed)."""
    rest = normalize_address(address).split("://", 1)[1]
    return rest.rpartition(":")[0].strip("[]")


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine only (``127.0.0.0/8``, ``::1``, ``localhost``)."""
    if host in ("localhost", "ip6-localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        try:
            resolved = pysocket.gethostbyname(host)
        except OSError:
            return False
        return ipaddress.ip_address(resolved).is_loopback


def common_options(sock: Any, *, max_message_bytes: int) -> None:
    """Options every lr-inference socket gets (see the module docstring)."""
    import zmq

    sock.setsockopt(zmq.LINGER, 0)
    sock.setsockopt(zmq.MAXMSGSIZE, int(max_message_bytes))
    sock.setsockopt(zmq.HEARTBEAT_IVL, HEARTBEAT_IVL_MS)
    sock.setsockopt(zmq.HEARTBEAT_TIMEOUT, HEARTBEAT_TIMEOUT_MS)
    sock.setsockopt(zmq.HEARTBEAT_TTL, HEARTBEAT_TIMEOUT_MS)


def curve_client(sock: Any, *, client_secret_key: Path, server_public_key: Path) -> None:
    """Make ``sock`` a CURVE client with this machine's key pair and the server's public key."""
    from lr_inference.keys import load_public_key, load_secret_key

    public, secret = load_secret_key(client_secret_key)
    sock.curve_publickey = public
    sock.curve_secretkey = secret
    sock.curve_serverkey = load_public_key(server_public_key)


def curve_server(sock: Any, *, server_secret_key: Path) -> bytes:
    """Make ``sock`` a CURVE server with its key pair; returns its public key."""
    from lr_inference.keys import load_secret_key

    public, secret = load_secret_key(server_secret_key)
    sock.curve_publickey = public
    sock.curve_secretkey = secret
    sock.curve_server = True
    return public


def send_message(sock: Any, message: WireMessage, *, identity: bytes | None = None) -> bool:
    """Send ``message`` without blocking (array frames are not copied).

    Returns ``False`` when ZeroMQ cannot take it now (no connected peer, or its queue is full).
    """
    import zmq

    frames: list[Any] = wire.encode(message)
    if identity is not None:
        frames = [identity, *frames]
    try:
        sock.send_multipart(frames, flags=zmq.NOBLOCK, copy=False)
    except zmq.Again:
        return False
    return True


def frame_bytes(frames: Sequence[Any]) -> int:
    """Total payload size of received frames."""
    return sum(len(f) for f in frames)


def decode_frames(frames: Sequence[Any]) -> WireMessage:
    """Decode received ``zmq.Frame`` objects (zero copy) into a message.

    Raises :class:`lr_core.errors.WireFormatError` for anything malformed.
    """
    return wire.decode([f.buffer if hasattr(f, "buffer") else f for f in frames])


def now() -> float:
    """Wall-clock time stamped into messages (``time.time()``, seconds)."""
    return time.time()


class RateLimitedLog:
    """Log a repeated complaint at most ``per_s`` times a second; count the rest.

    A flood of garbage must not turn into a flood of log lines (or slow the reader down).
    """

    def __init__(self, log: logging.Logger, *, per_s: float = 2.0) -> None:
        self.log = log
        self.interval = 1.0 / per_s
        self._last = 0.0
        self.suppressed = 0
        self.total = 0

    def warning(self, message: str, *args: Any) -> None:
        """Log ``message % args`` unless one was logged less than ``1 / per_s`` s ago."""
        self.total += 1
        current = time.monotonic()
        if current - self._last < self.interval:
            self.suppressed += 1
            return
        if self.suppressed:
            message += " (%d similar messages suppressed)"
            args = (*args, self.suppressed)
            self.suppressed = 0
        self._last = current
        self.log.warning(message, *args)
