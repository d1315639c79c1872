"""lr-inference: async inference — a torch-free robot client and a policy server over ZeroMQ.

Client side (numpy + pyzmq + lr-core; runs on a Raspberry Pi): :class:`RobotClient`
(``lr client``), :class:`PolicyClient`. Server side: :class:`PolicyServer` (``lr serve``;
lr-policies checkpoints need ``lr-inference[server]``). Names resolve lazily.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lr_core.lazy import lazy_exports

_EXPORTS: dict[str, str] = {
    "RobotClient": "lr_inference.robot_client",
    "ClientStats": "lr_inference.robot_client",
    "RobotClientConfig": "lr_inference.configs",
    "ClientKeysConfig": "lr_inference.configs",
    "ConnectionConfig": "lr_inference.configs",
    "PolicyClient": "lr_inference.policy_client",
    "RemotePolicyClient": "lr_inference.remote",
    "Connection": "lr_inference.connection",
    "ConnectionOptions": "lr_inference.connection",
    "ActionQueue": "lr_inference.action_queue",
    "AGGREGATE_FUNCTIONS": "lr_inference.aggregate",
    "get_aggregate_fn": "lr_inference.aggregate",
    "register_aggregate_fn": "lr_inference.aggregate",
    "ClockSync": "lr_inference.clock",
    "RequestTiming": "lr_inference.clock",
    "TimingStats": "lr_inference.clock",
    "generate_keys": "lr_inference.keys",
    "PolicyServer": "lr_inference.server.server",
    "PolicyServerConfig": "lr_inference.server.config",
    "InferenceError": "lr_inference.errors",
    "HandshakeRefusedError": "lr_inference.errors",
    "AuthenticationError": "lr_inference.errors",
    "ServerUnavailableError": "lr_inference.errors",
    "PROTOCOL_VERSION": "lr_inference.protocol",
}

__all__, __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, distribution="lr-inference")

if TYPE_CHECKING:  # pragma: no cover
    from lr_inference.action_queue import ActionQueue
    from lr_inference.aggregate import (
        AGGREGATE_FUNCTIONS,
        get_aggregate_fn,
        register_aggregate_fn,
    )
    from lr_inference.clock import ClockSync, RequestTiming, TimingStats
    from lr_inference.configs import ClientKeysConfig, ConnectionConfig, RobotClientConfig
    from lr_inference.connection import Connection, ConnectionOptions
    from lr_inference.errors import (
        AuthenticationError,
        HandshakeRefusedError,
        InferenceError,
        ServerUnavailableError,
    )
    from lr_inference.keys import generate_keys
    from lr_inference.policy_client import PolicyClient
    from lr_inference.protocol import PROTOCOL_VERSION
    from lr_inference.remote import RemotePolicyClient
    from lr_inference.robot_client import ClientStats, RobotClient
    from lr_inference.server.config import PolicyServerConfig
    from lr_inference.server.server import PolicyServer
