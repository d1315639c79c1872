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
    allowed_clients: Path | None = None

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

    - ``host``/``port``: where to listen (LeRobot's ``PolicyServerConfig`` names). Without
      keys only a loopback host is accepted unless ``insecure`` is set.
    - ``keys``: CurveZMQ (:class:`ServerKeysConfig`).
    - ``inference_latency``: the least time one forward pass takes, in seconds (the server
      sleeps the rest; LeRobot's option, used to emulate a slower policy). 0: no padding.
    - ``max_batch_size``: most observations run in one forward pass; observations from
      several clients that wait together are batched (1 disables batching).
      ``batch_wait_s``: how long a free policy waits for more requests before it starts a
      pass (0: never; a few ms helps clients that send in step).
    - ``obs_similarity_atol``: an observation whose ``observation.state`` is within this L2
      distance of the last run one is skipped unless ``must_go`` (LeRobot's filter, same
      default); 0 disables the filter.
    - ``max_message_bytes``: larger messages are dropped; ``client_timeout_s``: a client
      silent this long is forgotten (its policy unloaded if no one else uses it).
    - ``allowed_policies``: when set, the only ``pretrained_name_or_path`` values clients may
      ask for (a shared server should not load whatever a client names).
    """

    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    insecure: bool = False
    keys: ServerKeysConfig = Field(default_factory=ServerKeysConfig)
    inference_latency: float = Field(default=0.0, ge=0)
    max_batch_size: int = Field(default=64, ge=1)
    batch_wait_s: float = Field(default=0.0, ge=0, le=1)
    obs_similarity_atol: float = Field(default=1.0, ge=0)
    max_message_bytes: int = Field(default=DEFAULT_MAX_MESSAGE_BYTES, gt=1024)
    client_timeout_s: float = Field(default=60.0, gt=0)
    allowed_policies: list[str] | None = None
