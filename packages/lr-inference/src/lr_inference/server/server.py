"""The policy server: one ROUTER socket, many robot clients, policies loaded on demand.

Threads::

    I/O thread (owns the ROUTER)   receives, checks size, decodes (lr_core.wire: no pickle),
                                   answers pings, handshakes and malformed input itself, keeps
                                   every session's state, hands observations to the workers,
                                   and sends whatever the other threads queue in its outbox
    loader threads                 load a policy (seconds), then tell the I/O thread
    one worker per loaded policy   batches and runs observations (lr_inference.server.batching)

Other threads never touch the ROUTER (ZeroMQ sockets are not thread-safe): they push
``[identity, frames…]`` into an inproc PUSH/PULL pair that the I/O thread forwards, with no
copy of the array frames.

Anything a client sends that is malformed, oversized, of another wire or protocol version, or
refers to no session is answered with an :class:`~lr_core.messages.ErrorReply` naming the
reason and logged (rate-limited); it never stops the server.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from lr_core.errors import ConfigError, LrError, WireFormatError
from lr_core.messages import ErrorReply, TimedObservation, WireMessage
from lr_inference import transport
from lr_inference.errors import HandshakeRefusedError
from lr_inference.protocol import (
    BAD_MESSAGE,
    BAD_OBSERVATION,
    HANDSHAKE_REFUSED,
    NO_SESSION,
    PROTOCOL_VERSION,
    Bye,
    Hello,
    ObservationBatch,
    ObservationSkipped,
    Ping,
    Pong,
    Welcome,
)
from lr_inference.server.batching import PolicyWorker, Request, superseded
from lr_inference.server.config import PolicyServerConfig
from lr_inference.server.served import PolicyLoader, ServedPolicy, policy_key
from lr_inference.server.sessions import ObservationError, Session, plan_session, policy_info

logger = logging.getLogger(__name__)

_CONTROL = b""  # identity of control messages in the outbox
_ids = itertools.count()


@dataclass
class _LoadedPolicy:
    key: Any
    policy: ServedPolicy | None = None
    worker: PolicyWorker | None = None
    error: str | None = None
    waiting: list[tuple[bytes, Hello, float, str | None]] = field(default_factory=list)
    sessions: set[bytes] = field(default_factory=set)


@dataclass
class ServerStats:
    """Counters the server keeps (read them from another thread for monitoring only)."""

    messages: int = 0
    rejected: int = 0
    handshakes: int = 0
    refused: int = 0
    observations: int = 0
    skipped: int = 0


class PolicyServer:
    """Serve policies to robot clients (see the module docstring).

    ``loader`` builds a :class:`ServedPolicy` from a client's spec; the default loads
    lr-policies checkpoints (``lr-inference[server]``).

    Raises :class:`ConfigError` at :meth:`start` for an unsafe binding: a non-loopback host
    without CurveZMQ keys unless ``config.insecure``.
    """

    def __init__(
        self,
        config: PolicyServerConfig | None = None,
        *,
        loader: PolicyLoader | None = None,
        context: Any = None,
    ) -> None:
        import zmq

        self.config = config or PolicyServerConfig()
        self.loader = loader or _default_loader
        self.stats = ServerStats()
        self._zmq = zmq
        self._owns_context = context is None
        self._context = context or zmq.Context()
        self._sessions: dict[bytes, Session] = {}
        self._policies: dict[Any, _LoadedPolicy] = {}
        self._outbox_address = f"inproc://lr-serve-outbox-{id(self)}-{next(_ids)}"
        self._local = threading.local()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._router: Any = None
        self._pull: Any = None
        self._auth: Any = None
        self._bad = transport.RateLimitedLog(logger)
        self.address: str | None = None

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> str:
        """Bind and start serving in a background thread; return the bound address."""
        zmq = self._zmq
        cfg = self.config
        check_binding(cfg)
        router = self._context.socket(zmq.ROUTER)
        router.setsockopt(zmq.ROUTER_HANDOVER, 1)
        # report (rather than silently drop) replies to a peer that is gone or not reading
        router.setsockopt(zmq.ROUTER_MANDATORY, 1)
        transport.common_options(router, max_message_bytes=cfg.max_message_bytes)
        if cfg.keys.enabled:
            self._start_authenticator()
            assert cfg.keys.server_secret_key is not None
            transport.curve_server(router, server_secret_key=cfg.keys.server_secret_key)
        host = f"[{cfg.host}]" if ":" in cfg.host else cfg.host
        try:
            if cfg.port == 0:
                port = router.bind_to_random_port(f"tcp://{host}")
            else:
                router.bind(f"tcp://{host}:{cfg.port}")
                port = cfg.port
        except zmq.ZMQError as exc:
            router.close(linger=0)
            raise ConfigError(f"cannot listen on {cfg.host}:{cfg.port}: {exc}") from exc
        self._router = router
        self._pull = self._context.socket(zmq.PULL)
        self._pull.bind(self._outbox_address)
        self.address = f"tcp://{host}:{port}"
        self._thread = threading.Thread(target=self._io_loop, name="lr-serve-io", daemon=True)
        self._thread.start()
        logger.info(
            "policy server listening on %s (%s)",
            self.address,
            "CurveZMQ" if cfg.keys.enabled else "no encryption",
        )
        return self.address

    def serve_forever(self) -> None:
        """Start (if needed) and block until :meth:`stop` or Ctrl-C."""
        if self._thread is None:
            self.start()
        try:
            while not self._stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            logger.info("interrupted")
        finally:
            self.stop()

    def stop(self) -> None:
        """Stop the I/O thread and the workers; close the sockets."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(5)
        for entry in self._policies.values():
            if entry.worker is not None:
                entry.worker.stop()
        self._policies.clear()
        if self._auth is not None:
            self._auth.stop()
            self._auth = None
        if self._owns_context:
            self._context.destroy(linger=0)

    def __enter__(self) -> PolicyServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _start_authenticator(self) -> None:
        from zmq.auth.thread import ThreadAuthenticator

        from lr_inference.keys import allowed_public_keys

        assert self.config.keys.allowed_clients is not None
        folder = self.config.keys.allowed_clients.expanduser()
        count = len(allowed_public_keys(folder))  # fail early, naming the folder
        self._auth = ThreadAuthenticator(self._context, log=logging.getLogger(f"{__name__}.auth"))
        self._auth.start()
        self._auth.configure_curve(domain="*", location=str(folder))
        logger.info("CurveZMQ: %d allowed client key(s) from %s", count, folder)

    # ------------------------------------------------------------------ outbox

    def _push(self) -> Any:
        """This thread's PUSH socket into the outbox."""
        push = getattr(self._local, "push", None)
        if push is None:
            push = self._context.socket(self._zmq.PUSH)
            push.setsockopt(self._zmq.LINGER, 0)
            push.connect(self._outbox_address)
            self._local.push = push
        return push

    def _send_from_thread(self, identity: bytes, message: WireMessage) -> None:
        """Queue ``message`` for ``identity`` from any thread."""
        transport.send_message(self._push(), message, identity=identity)

    def _control(self, name: bytes) -> None:
        self._push().send_multipart([_CONTROL, name])

    # ------------------------------------------------------------------ the I/O loop

    def _io_loop(self) -> None:
        zmq = self._zmq
        poller = zmq.Poller()
        poller.register(self._router, zmq.POLLIN)
        poller.register(self._pull, zmq.POLLIN)
        last_sweep = time.monotonic()
        try:
            while not self._stop.is_set():
                events = dict(poller.poll(100))
                if self._pull in events:
                    self._drain_outbox()
                if self._router in events:
                    self._drain_router()
                if time.monotonic() - last_sweep > 1.0:
                    self._expire_sessions()
                    last_sweep = time.monotonic()
        except zmq.ContextTerminated:
            pass
        finally:
            self._router.close(linger=0)
            self._pull.close(linger=0)

    def _drain_outbox(self) -> None:
        zmq = self._zmq
        while True:
            try:
                frames = self._pull.recv_multipart(flags=zmq.NOBLOCK, copy=False)
            except zmq.Again:
                return
            if frames[0].bytes == _CONTROL:
                if len(frames) == 2 and frames[1].bytes == b"loaded":
                    self._on_loaded()
                continue
            try:
                self._router.send_multipart(frames, flags=zmq.NOBLOCK, copy=False)
            except zmq.ZMQError as exc:  # EAGAIN: the client does not read; EHOSTUNREACH: gone
                self._bad.warning("dropped a reply to client %s: %s", frames[0].bytes[:16], exc)

    def _drain_router(self) -> None:
        zmq = self._zmq
        for _ in range(1000):  # then serve the outbox again
            try:
                frames = self._router.recv_multipart(flags=zmq.NOBLOCK, copy=False)
            except zmq.Again:
                return
            received = transport.now()
            identity = frames[0].bytes
            self.stats.messages += 1
            try:
                self._handle(identity, frames[1:], received)
            except Exception:  # never let one message stop the server
                self.stats.rejected += 1
                logger.exception("unexpected error while handling a message; carrying on")
                self._reply(identity, ErrorReply(error=BAD_MESSAGE, message="server error"))

    def _reply(self, identity: bytes, message: WireMessage) -> None:
        try:
            sent = transport.send_message(self._router, message, identity=identity)
        except self._zmq.ZMQError as exc:  # EHOSTUNREACH: the client disconnected
            sent = False
            reason = str(exc)
        else:
            reason = "its queue is full"
        if not sent:
            self._bad.warning(
                "dropped %s to client %s: %s", type(message).__name__, identity[:16], reason
            )

    def _reject(self, identity: bytes, code: str, reason: str) -> None:
        self.stats.rejected += 1
        self._bad.warning("rejected a message from client %s: %s", identity[:16], reason)
        self._reply(identity, ErrorReply(error=code, message=reason))

    def _handle(self, identity: bytes, frames: list[Any], received: float) -> None:
        size = transport.frame_bytes(frames)
        if size > self.config.max_message_bytes:
            self._reject(
                identity,
                BAD_MESSAGE,
                f"message of {size} bytes exceeds "
                f"max_message_bytes={self.config.max_message_bytes}",
            )
            return
        try:
            message = transport.decode_frames(frames)
        except WireFormatError as exc:
            self._reject(identity, BAD_MESSAGE, str(exc)[:500])
            return
        user = _user_id(frames)
        session = self._sessions.get(identity)
        if session is not None:
            if session.public_key != user:
                self._reject(identity, NO_SESSION, "this connection's key does not own the session")
                return
            session.last_seen = time.monotonic()
        if isinstance(message, Ping):
            self._reply(
                identity,
                Pong(
                    client_time=message.client_time,
                    server_received=received,
                    server_sent=transport.now(),
                    loading=self._is_waiting(identity),
                ),
            )
        elif isinstance(message, Hello):
            self._on_hello(identity, message, received, user)
        elif isinstance(message, TimedObservation | ObservationBatch):
            self._on_observation(identity, message, received)
        elif isinstance(message, Bye):
            self._forget(identity, f"said bye ({message.reason})")
        else:
            self._reject(identity, BAD_MESSAGE, f"a client may not send {type(message).__name__}")

    # ------------------------------------------------------------------ handshake

    def _on_hello(self, identity: bytes, hello: Hello, received: float, user: str | None) -> None:
        spec = hello.spec
        if hello.protocol != PROTOCOL_VERSION:
            self._refuse(
                identity,
                f"this server speaks protocol {PROTOCOL_VERSION}, the client {hello.protocol}: "
                "install matching lr-inference versions",
            )
            return
        allowed = self.config.allowed_policies
        if allowed is not None and spec.pretrained_name_or_path not in allowed:
            self._refuse(
                identity,
                f"this server does not serve {spec.pretrained_name_or_path!r}; it serves {allowed}",
            )
            return
        previous = self._detach(identity)
        key = policy_key(spec)
        entry = self._policies.get(key)
        if entry is None:
            entry = _LoadedPolicy(key)
            self._policies[key] = entry
            threading.Thread(
                target=self._load, args=(entry, spec), name="lr-serve-load", daemon=True
            ).start()
            logger.info(
                "loading %s for %s", spec.pretrained_name_or_path, hello.client_name or identity
            )
        if entry.policy is None and entry.error is None:
            entry.waiting.append((identity, hello, received, user))
        else:
            self._accept(identity, hello, received, user, entry)
        if previous is not None:
            self._release(previous)  # after the new session joined: no reload of the same policy

    def _load(self, entry: _LoadedPolicy, spec: Any) -> None:
        try:
            policy = self.loader(spec)
            worker = PolicyWorker(
                policy,
                self._send_from_thread,
                max_batch_size=self.config.max_batch_size,
                inference_latency=self.config.inference_latency,
                batch_wait_s=self.config.batch_wait_s,
                name=spec.policy_type or "policy",
            )
            worker.start()
            entry.worker = worker
            entry.policy = policy
        except Exception as exc:
            if not isinstance(exc, LrError):
                logger.exception("loading %s failed", spec.pretrained_name_or_path)
            entry.error = f"cannot load {spec.pretrained_name_or_path!r}: {exc}"
        self._control(b"loaded")

    def _on_loaded(self) -> None:
        for key, entry in list(self._policies.items()):
            if entry.policy is None and entry.error is None:
                continue
            waiting, entry.waiting = entry.waiting, []
            for identity, hello, received, user in waiting:
                self._accept(identity, hello, received, user, entry)
            if entry.error is not None:
                del self._policies[key]  # a later Hello tries again

    def _accept(
        self, identity: bytes, hello: Hello, received: float, user: str | None, entry: _LoadedPolicy
    ) -> None:
        if entry.error is not None or entry.policy is None:
            self._refuse(identity, entry.error or "the policy is not loaded")
            return
        description = entry.policy.description
        try:
            plan = plan_session(hello.spec, description)
        except HandshakeRefusedError as exc:
            self._refuse(identity, str(exc))
            self._release(entry)
            return
        session = Session(
            routing_id=identity,
            spec=hello.spec,
            plan=plan,
            key=entry.key,
            name=hello.client_name,
            public_key=user,
        )
        self._sessions[identity] = session
        entry.sessions.add(identity)
        self.stats.handshakes += 1
        logger.info(
            "client %s connected: %s (%s), %d actions per chunk",
            hello.client_name or identity,
            hello.spec.pretrained_name_or_path,
            description.policy_type,
            plan.actions_per_chunk,
        )
        self._reply(
            identity,
            Welcome(
                protocol=PROTOCOL_VERSION,
                session=identity.decode("ascii", "replace"),
                policy=policy_info(plan, description),
                max_message_bytes=self.config.max_message_bytes,
                max_batch_size=self.config.max_batch_size,
                client_time=hello.client_time,
                server_received=received,
                server_sent=transport.now(),
            ),
        )

    def _refuse(self, identity: bytes, reason: str) -> None:
        self.stats.refused += 1
        logger.warning("refused client %s: %s", identity[:16], reason)
        self._reply(identity, ErrorReply(error=HANDSHAKE_REFUSED, message=reason))

    def _is_waiting(self, identity: bytes) -> bool:
        return any(identity == w[0] for e in self._policies.values() for w in e.waiting)

    # ------------------------------------------------------------------ observations

    def _on_observation(
        self, identity: bytes, message: TimedObservation | ObservationBatch, received: float
    ) -> None:
        session = self._sessions.get(identity)
        if session is None:
            self._reject(
                identity,
                NO_SESSION,
                "no session for this client (the server restarted?): say Hello",
            )
            return
        entry = self._policies.get(session.key)
        if entry is None or entry.worker is None:
            self._reject(identity, NO_SESSION, "this session's policy is gone: say Hello")
            return
        batched = isinstance(message, ObservationBatch)
        observations = message.observations if batched else [message]
        if len(observations) > self.config.max_batch_size:
            self._reject(
                identity,
                BAD_OBSERVATION,
                f"{len(observations)} observations in one batch; this server takes at most "
                f"max_batch_size={self.config.max_batch_size}",
            )
            return
        try:
            items: list[dict[str, Any]] = [session.prepare(obs) for obs in observations]
        except ObservationError as exc:
            self._reject(identity, BAD_OBSERVATION, str(exc))
            return
        session.requests += 1
        self.stats.observations += len(observations)
        if not batched:
            reason = session.skip_reason(message, self.config.obs_similarity_atol)
            if reason is not None:
                session.skipped += 1
                self.stats.skipped += 1
                self._reply(
                    identity,
                    ObservationSkipped(
                        timestamp=message.timestamp, timestep=message.timestep, reason=reason
                    ),
                )
                return
        for obs, item in zip(observations, items):
            session.ran(obs)
            if obs.task:  # language-conditioned policies read it; others ignore the key
                item["task"] = obs.task
        replaced = entry.worker.submit(
            Request(
                identity=identity,
                plan=session.plan,
                observations=list(observations),
                items=items,
                batched=batched,
                received=received,
            )
        )
        if replaced is not None and not replaced.batched:
            self._reply(identity, superseded(replaced))

    # ------------------------------------------------------------------ sessions

    def _forget(self, identity: bytes, why: str) -> None:
        session = self._sessions.get(identity)
        if session is None:
            return
        logger.info("client %s left: %s", session.name or identity, why)
        entry = self._detach(identity)
        if entry is not None:
            self._release(entry)

    def _detach(self, identity: bytes) -> _LoadedPolicy | None:
        """Remove ``identity``'s session; return its policy entry (not yet released)."""
        session = self._sessions.pop(identity, None)
        if session is None:
            return None
        entry = self._policies.get(session.key)
        if entry is not None:
            if entry.worker is not None:
                dropped = entry.worker.drop(identity)
                if dropped is not None:
                    self._reply(identity, superseded(dropped, "the session ended"))
            entry.sessions.discard(identity)
        return entry

    def _release(self, entry: _LoadedPolicy) -> None:
        """Unload a policy no session uses any more."""
        if entry.sessions or entry.waiting or entry.policy is None:
            return
        if self._policies.get(entry.key) is entry:
            del self._policies[entry.key]
        if entry.worker is not None:
            entry.worker.stop(timeout=0)
        logger.info("unloaded %s (no client uses it)", entry.key[1])

    def _expire_sessions(self) -> None:
        limit = time.monotonic() - self.config.client_timeout_s
        for identity, session in list(self._sessions.items()):
            if session.last_seen < limit:
                self._forget(identity, f"silent for more than {self.config.client_timeout_s:g} s")

    # ------------------------------------------------------------------ introspection

    def worker_stats(self) -> dict[str, Any]:
        """Per loaded policy: its worker's counters (for logs and benchmarks)."""
        return {
            str(key[1]): entry.worker.stats
            for key, entry in list(self._policies.items())
            if entry.worker is not None
        }


def check_binding(cfg: PolicyServerConfig) -> None:
    """Refuse to listen beyond this machine without CurveZMQ unless ``cfg.insecure``.

    Raises :class:`ConfigError` naming the ways out (keys, a loopback host and a tunnel, or
    ``--insecure=true``); with ``insecure`` a warning is logged instead.
    """
    if cfg.keys.enabled or transport.is_loopback(cfg.host):
        return
    if not cfg.insecure:
        raise ConfigError(
            f"refusing to listen on {cfg.host} without CurveZMQ keys: anyone who can reach "
            "this port could drive your policy and read the observations. Create keys with "
            "`lr keys generate` and pass --keys.server_secret_key and --keys.allowed_clients, "
            "listen on 127.0.0.1 (and tunnel, e.g. ssh -L), or pass --insecure=true on a "
            "network you trust"
        )
    logger.warning(
        "INSECURE: listening on %s without encryption or client authentication "
        "(--insecure); any host that reaches port %d can use this server",
        cfg.host,
        cfg.port,
    )


def _user_id(frames: list[Any]) -> str | None:
    """The CurveZMQ public key (Z85) the authenticator attached to a message, if any."""
    try:
        return frames[0].get("User-Id") or None
    except Exception:  # no metadata (no authenticator), or a plain bytes frame
        return None


def _default_loader(spec: Any) -> ServedPolicy:
    from lr_inference.server.lr_policy import load_lr_policy

    return load_lr_policy(spec)
