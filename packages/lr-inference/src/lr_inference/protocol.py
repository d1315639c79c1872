"""The messages of lr-inference's protocol, on top of lr-core's (:mod:`lr_core.messages`).

A session, seen from the client (a ZeroMQ DEALER) talking to the server (a ROUTER)::

    client                                      server
    Hello(spec, client_time)          ──►       loads the policy, checks the robot's features
                                      ◄──       Welcome(policy, clocks)  |  ErrorReply
    TimedObservation / ObservationBatch ──►     validated, maybe skipped, queued, batched
                                      ◄──       ActionChunk / ActionChunkBatch
                                                | ObservationSkipped | ErrorReply
    Ping(client_time)                 ──►
                                      ◄──       Pong(client_time, server clocks)
    Bye                               ──►       the session is forgotten

Every message crosses the network through :mod:`lr_core.wire` (a JSON header plus raw array
frames; never pickle). ``PROTOCOL_VERSION`` changes whenever a message changes shape; a
mismatch is refused in the handshake.

``ErrorReply.error`` codes: ``handshake_refused``, ``no_session`` (the server does not know this
client: it restarted; say Hello again), ``bad_message`` (undecodable, oversized or of the wrong
version), ``bad_observation`` (missing key, wrong shape or dtype), ``inference_failed``.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from lr_core.features import PolicyFeature
from lr_core.messages import ActionChunk, PolicySpec, TimedObservation, WireMessage
from lr_core.wire import register_message

#: Bumped on any change of these messages' fields or meaning.
PROTOCOL_VERSION = 1

# ErrorReply.error codes
HANDSHAKE_REFUSED = "handshake_refused"
NO_SESSION = "no_session"
BAD_MESSAGE = "bad_message"
BAD_OBSERVATION = "bad_observation"
INFERENCE_FAILED = "inference_failed"


@register_message
class Hello(WireMessage):
    """The client's handshake: what to run (``spec``, with the robot's features) and its
    clock at sending (for the NTP-style offset estimate)."""

    protocol: int
    spec: PolicySpec
    client_time: float
    client_name: str = ""


class PolicyInfo(WireMessage):
    """What the server runs for this session.

    - ``input_keys``: the observation keys the client must send (client names, before the
      ``rename_map``), with their expected shapes in ``input_shapes`` (images ``(H, W, C)``).
    - ``action_names``: the columns of every chunk's ``actions``.
    - ``chunk_length``: actions the policy predicts per call (``actions_per_chunk`` ≤ this).
    - ``n_obs_steps``: observations the policy looks at (the server keeps the history).
    - ``config``: the policy's ``config.json`` as a dict (``n_action_steps``,
      ``temporal_ensemble_coeff``...).
    """

    policy_type: str
    input_keys: list[str]
    input_shapes: dict[str, list[int]]
    input_features: dict[str, PolicyFeature]
    action_names: list[str]
    chunk_length: int
    n_obs_steps: int = 1
    config: dict[str, Any] = {}


@register_message
class Welcome(WireMessage):
    """The server accepted the handshake. ``server_received``/``server_sent`` are its clock
    when the Hello arrived and when this reply left (for the clock offset)."""

    protocol: int
    session: str
    policy: PolicyInfo
    max_message_bytes: int
    max_batch_size: int
    client_time: float
    server_received: float
    server_sent: float


@register_message
class Ping(WireMessage):
    """A heartbeat from the client; the reply carries the server's clock."""

    client_time: float


@register_message
class Pong(WireMessage):
    """Reply to :class:`Ping`: the ping's client time and the server's receive/send times."""

    client_time: float
    server_received: float
    server_sent: float
    loading: bool = False


@register_message
class Bye(WireMessage):
    """The client leaves; the server forgets its session."""

    reason: str = ""


@register_message
class ObservationSkipped(WireMessage):
    """The server did not run the policy on the observation stamped ``timestamp``: it was
    nearly identical to the last one it ran (and not ``must_go``), or a newer one replaced it
    while it waited."""

    timestamp: float
    timestep: int
    reason: str


@register_message
class ObservationBatch(WireMessage):
    """Several observations run in one forward pass (vectorised simulation, ``lr eval``)."""

    observations: list[TimedObservation] = Field(min_length=1)


@register_message
class ActionChunkBatch(WireMessage):
    """The chunks for an :class:`ObservationBatch`, in the same order."""

    chunks: list[ActionChunk]
