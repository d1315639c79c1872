"""``PolicyClient``: blocking observation → chunk calls, for scripts and simulation loops.

::

    from lr_inference import PolicyClient

    client = PolicyClient.for_robot(
        "gpu-box:8080", robot, policy_type="act", pretrained_name_or_path="user/act_so101",
        actions_per_chunk=50,
    )
    chunk = client.infer(robot.get_observation(), timestep=t)   # ActionChunk, (T, D) actions
    client.close()

It connects (and handshakes) on first use, re-handshakes by itself after a server restart,
and raises :class:`~lr_inference.errors.ServerUnavailableError` when no answer comes within
``request_timeout_s``. Torch-free.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from lr_core.messages import ActionChunk, ErrorReply, PolicySpec, TimedObservation, TimingStamps
from lr_inference.clock import RequestTiming, TimingStats
from lr_inference.connection import Connection, ConnectionOptions
from lr_inference.errors import InferenceError, ServerUnavailableError
from lr_inference.observation import ObservationBuilder, robot_features
from lr_inference.protocol import NO_SESSION, ActionChunkBatch, ObservationBatch, Welcome
from lr_inference.transport import now


class PolicyClient:
    """See the module docstring. One thread uses it at a time."""

    def __init__(
        self,
        server_address: str,
        spec: PolicySpec,
        options: ConnectionOptions | None = None,
        *,
        request_timeout_s: float = 10.0,
        context: Any = None,
    ) -> None:
        self.spec = spec
        self.request_timeout_s = request_timeout_s
        self.connection = Connection(server_address, spec, options, context=context)
        self.timing = TimingStats()
        self._builder: ObservationBuilder | None = None
        self._builder_generation = -1
        self._last_timestamp = 0.0

    @classmethod
    def for_robot(
        cls,
        server_address: str,
        robot: Any,
        *,
        policy_type: str,
        pretrained_name_or_path: str,
        actions_per_chunk: int,
        policy_device: str = "cpu",
        rename_map: Mapping[str, str] | None = None,
        fps: float = 30.0,
        options: ConnectionOptions | None = None,
        **kwargs: Any,
    ) -> PolicyClient:
        """A client whose handshake declares ``robot``'s features (a :class:`lr_core.Robot`)."""
        spec = PolicySpec(
            policy_type=policy_type,
            pretrained_name_or_path=pretrained_name_or_path,
            features=robot_features(robot),
            actions_per_chunk=actions_per_chunk,
            device=policy_device,
            rename_map=dict(rename_map or {}),
            fps=fps,
        )
        return cls(server_address, spec, options, **kwargs)

    # ------------------------------------------------------------------ connection

    @property
    def welcome(self) -> Welcome | None:
        """The server's last Welcome (the served policy's inputs, actions, chunk length)."""
        return self.connection.welcome

    def connect(self, timeout_s: float | None = None) -> Welcome:
        """Handshake now (otherwise the first :meth:`infer` does); return the Welcome.

        Raises :class:`HandshakeRefusedError`, :class:`AuthenticationError` or
        :class:`ServerUnavailableError`.
        """
        limit = self.connection.options.handshake_timeout_s if timeout_s is None else timeout_s
        self._wait_ready(time.monotonic() + limit)
        assert self.connection.welcome is not None
        return self.connection.welcome

    def _wait_ready(self, deadline: float) -> None:
        conn = self.connection
        if conn.state == "closed":
            conn.open()
        while not conn.ready:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ServerUnavailableError(
                    f"no handshake with the policy server at {conn.address} "
                    f"(state {conn.state}); is `lr serve` running there and reachable?"
                )
            conn.poll(min(remaining, 0.1))

    def close(self) -> None:
        """Say Bye and close the socket."""
        self.connection.close()

    def __enter__(self) -> PolicyClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ requests

    def _build(self, observation: Mapping[str, Any]) -> dict[str, Any]:
        conn = self.connection
        if self._builder is None or self._builder_generation != conn.generation:
            assert conn.welcome is not None
            self._builder = ObservationBuilder(self.spec.features, conn.welcome.policy.input_keys)
            self._builder_generation = conn.generation
        return self._builder(observation)

    def _timestamp(self) -> float:
        # strictly increasing: a reply is matched to its request by this stamp
        self._last_timestamp = max(now(), self._last_timestamp + 1e-6)
        return self._last_timestamp

    def _observation(
        self, observation: Mapping[str, Any], timestep: int, task: str, captured: float | None
    ) -> TimedObservation:
        stamp = self._timestamp()
        return TimedObservation(
            timestamp=stamp,
            timestep=timestep,
            observation=self._build(observation),
            task=task,
            must_go=True,
            timing=TimingStamps(observation_captured=captured or stamp),
        )

    def infer(
        self,
        observation: Mapping[str, Any],
        *,
        timestep: int = 0,
        task: str = "",
        captured: float | None = None,
    ) -> ActionChunk:
        """The chunk for one observation: ``actions`` ``(T, D_action)``, ``actions[i]`` for
        step ``timestep + i``, columns named by ``names``.

        ``observation`` is a raw robot observation (``"shoulder_pan.pos"``, camera keys) or
        uses dataset keys (``observation.state``…). Raises :class:`InferenceError` when the
        server rejects it, :class:`ServerUnavailableError` on timeout.
        """
        reply = self._request(lambda: self._observation(observation, timestep, task, captured))
        assert isinstance(reply, ActionChunk)
        return reply

    def infer_batch(
        self,
        observations: Sequence[Mapping[str, Any]],
        *,
        timestep: int = 0,
        task: str = "",
    ) -> list[ActionChunk]:
        """Chunks for several observations run in one forward pass (one per env of a
        vectorised simulation), in order."""
        if not observations:
            return []

        def build() -> ObservationBatch:
            return ObservationBatch(
                observations=[self._observation(o, timestep, task, None) for o in observations]
            )

        reply = self._request(build)
        assert isinstance(reply, ActionChunkBatch)
        return list(reply.chunks)

    def _request(self, build: Any) -> ActionChunk | ActionChunkBatch:
        conn = self.connection
        deadline = time.monotonic() + self.request_timeout_s
        while True:
            self._wait_ready(deadline)
            message = build()
            first = message.observations[0] if isinstance(message, ObservationBatch) else message
            for obs in message.observations if isinstance(message, ObservationBatch) else [message]:
                obs.timing.client_sent = now()
            generation = conn.generation
            if not conn.send(message):
                conn.poll(0.01)
                continue
            while conn.generation == generation and conn.ready:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise ServerUnavailableError(
                        f"the policy server at {conn.address} did not answer within "
                        f"{self.request_timeout_s:g} s"
                    )
                reply = conn.poll(remaining)
                if reply is None:
                    continue
                if isinstance(reply, ErrorReply):
                    if reply.error == NO_SESSION:
                        break  # the connection handshakes again; send anew
                    raise InferenceError(
                        f"the policy server rejected the request ({reply.error}): {reply.message}"
                    )
                if isinstance(reply, ActionChunk) and reply.timestamp == first.timestamp:
                    self._received(reply)
                    return reply
                if (
                    isinstance(reply, ActionChunkBatch)
                    and reply.chunks
                    and reply.chunks[0].timestamp == first.timestamp
                ):
                    for chunk in reply.chunks:
                        self._received(chunk)
                    return reply
                # anything else is a late answer to an earlier request: ignore it
            if time.monotonic() >= deadline:
                raise ServerUnavailableError(
                    f"the policy server at {conn.address} did not answer within "
                    f"{self.request_timeout_s:g} s"
                )

    def _received(self, chunk: ActionChunk) -> None:
        chunk.timing.client_received = now()
        welcome = self.connection.welcome
        names = welcome.policy.action_names if welcome is not None else chunk.names
        actions = chunk.actions
        if actions.ndim != 2 or actions.shape[1] != len(names) or chunk.names != names:
            raise InferenceError(
                f"the server sent actions of shape {list(actions.shape)} named {chunk.names}; "
                f"expected (T, {len(names)}) named {names}"
            )
        if not np.isfinite(actions).all():
            raise InferenceError("the server sent NaN or infinite actions; refusing them")
        timing = chunk.timing
        stamps = (timing.client_sent, timing.server_received, timing.server_sent)
        if all(s is not None for s in stamps):
            self.connection.clock.add(*stamps, timing.client_received)  # type: ignore[arg-type]
        self.timing.add(RequestTiming.from_stamps(timing, self.connection.clock.offset))
