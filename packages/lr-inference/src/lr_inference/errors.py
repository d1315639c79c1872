"""Errors of lr-inference, under lr-core's tree (:mod:`lr_core.errors`).

::

    LrError
    └── InferenceError                 anything about talking to a policy server
        ├── HandshakeRefusedError      the server refused the policy spec or the robot's features
        ├── AuthenticationError        the server refused this client's CurveZMQ key
        └── ServerUnavailableError     no answer from the server within the timeout
"""

from __future__ import annotations

from lr_core.errors import LrError


class InferenceError(LrError, RuntimeError):
    """Base of errors raised by the robot client, the policy client and the policy server."""


class HandshakeRefusedError(InferenceError):
    """The server refused the handshake; the message names the mismatching features."""


class AuthenticationError(InferenceError):
    """The server's CurveZMQ authenticator refused this client's key."""


class ServerUnavailableError(InferenceError, TimeoutError):
    """The server did not answer within the timeout (it is down, or the network stalls)."""
