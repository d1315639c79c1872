"""Configuration of the policy server (``lr serve``); torch-free."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, model_validator

from lr_core.config import LrConfig
from lr_core.errors import ConfigError
from lr_inference.transport import DEFAULT_MAX_MESSAGE_BYTES


class ServerKeysConfig(LrConfig):
    """CurveZMQ for the server: its key pair and the folder of allowed clients' public keys.

    With both set, only clients whose ``.key`` file is in ``allowed_clients`` get through, and
    every message is encrypted. Create keys with ``lr keys generate``.
    """

    server_secret_key: Path | None = None
    """The server's secret key file (``<name>.key_secret`` from ``lr keys generate``); null:
    no encryption."""
    allowed_clients: Path | None = None
    """Folder of the public ``.key`` files of the clients allowed to connect."""

    @model_validator(mode="after")
    def _both_or_neither(self) -> ServerKeysConfig:
        if (self.server_secret_key is None) != (self.allowed_clients is None):
            raise ConfigError(
                "keys.server_secret_key and keys.allowed_clients go together: the server's "
                ".key_secret file and the folder holding each allowed client's .key file"
            )
        return self

    @property
    def enabled(self) -> bool:
        """Whether CurveZMQ is on."""
        return self.server_secret_key is not None


class PolicyServerConfig(LrConfig):
    """``lr serve``: where to listen and how to run policies for robot clients.

    ``host``/``port`` keep LeRobot's ``PolicyServerConfig`` names. Without ``keys`` only a
    loopback host is accepted unless ``insecure`` is set.
    """

    host: str = "127.0.0.1"
    """Host address to bind the server to (a loopback address unless keys or ``insecure``)."""
    port: int = Field(default=8080, ge=0, le=65535)
    """Port number to bind the server to."""
    insecure: bool = False
    """Allow listening on a non-loopback host without CurveZMQ keys (anyone who reaches the
    port can use the server)."""
    keys: ServerKeysConfig = Field(default_factory=ServerKeysConfig)
    """CurveZMQ: the server's key pair and the allowed clients' public keys."""
    inference_latency: float = Field(default=0.0, ge=0)
    """Least time one forward pass takes, in seconds: the server sleeps the rest, to emulate
    a slower policy (LeRobot's option; 0: no padding)."""
    max_batch_size: int = Field(default=64, ge=1)
    """Most observations run in one forward pass; observations from several clients that
    wait together are batched (1: no batching)."""
    batch_wait_s: float = Field(default=0.0, ge=0, le=1)
    """Seconds a free policy waits for more requests before it starts a pass (0: never; a
    few ms helps clients that send in step)."""
    obs_similarity_atol: float = Field(default=1.0, ge=0)
    """An observation whose observation.state is within this L2 distance of the last one run
    is skipped unless must_go (LeRobot's filter and default; 0: off)."""
    max_message_bytes: int = Field(default=DEFAULT_MAX_MESSAGE_BYTES, gt=1024)
    """Largest message accepted from a client, in bytes (larger ones are dropped)."""
    client_timeout_s: float = Field(default=60.0, gt=0)
    """A client silent this long (s) is forgotten, its policy unloaded if no one else uses it."""
    allowed_policies: list[str] | None = None
    """The only pretrained_name_or_path values clients may ask for (null: any; a shared
    server should not load whatever a client names)."""
