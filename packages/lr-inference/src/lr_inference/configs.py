"""Configuration of the robot client (``lr client``); torch-free.

Field names follow LeRobot's ``RobotClientConfig`` (``lerobot/async_inference/configs.py``)
so a LeRobot command line carries over: ``policy_type``, ``pretrained_name_or_path``,
``robot``, ``actions_per_chunk``, ``task``, ``server_address``, ``policy_device``,
``client_device``, ``chunk_size_threshold``, ``fps``, ``aggregate_fn_name``,
``debug_visualize_queue_size``. The rest is lr's own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator

from lr_core.config import LrConfig
from lr_core.devices import RobotConfig
from lr_core.errors import ConfigError
from lr_inference.aggregate import TEMPORAL_ENSEMBLE_COEFF, get_aggregate_fn
from lr_inference.connection import ConnectionOptions
from lr_inference.transport import DEFAULT_MAX_MESSAGE_BYTES, normalize_address


class ClientKeysConfig(LrConfig):
    """CurveZMQ on the robot: its own ``.key_secret`` and the server's public ``.key``."""

    client_secret_key: Path | None = None
    server_public_key: Path | None = None

    @model_validator(mode="after")
    def _both_or_neither(self) -> ClientKeysConfig:
        if (self.client_secret_key is None) != (self.server_public_key is None):
            raise ConfigError(
                "keys.client_secret_key and keys.server_public_key go together: this robot's "
                ".key_secret file and the server's .key file"
            )
        return self


class ConnectionConfig(LrConfig):
    """Timeouts of the link to the server (seconds) and the largest message accepted."""

    heartbeat_s: float = Field(default=0.5, gt=0)
    timeout_s: float = Field(default=3.0, gt=0)
    handshake_timeout_s: float = Field(default=120.0, gt=0)
    request_timeout_s: float = Field(default=10.0, gt=0)
    max_message_bytes: int = Field(default=DEFAULT_MAX_MESSAGE_BYTES, gt=1024)


class RobotClientConfig(LrConfig):
    """``lr client``: run a robot at ``fps`` from a policy served elsewhere.

    - ``mode="async"``: the control loop executes one queued action per tick and asks for a
      new chunk when the queue holds at most ``chunk_size_threshold × actions_per_chunk``
      actions; chunks merge into the queue with ``aggregate_fn_name``.
    - ``mode="sync"``: ask, wait (holding the last action), execute the whole chunk, repeat.
    - ``duration_s``: stop after this long (default: until Ctrl-C).
    - ``stats_file``: write the run's counters and timing there as JSON at the end.
    """

    policy_type: str
    pretrained_name_or_path: str
    robot: RobotConfig
    actions_per_chunk: int = Field(gt=0)
    task: str = ""
    server_address: str = "127.0.0.1:8080"
    policy_device: str = "cpu"
    client_device: str = "cpu"
    chunk_size_threshold: float = Field(default=0.5, ge=0, le=1)
    fps: int = Field(default=30, gt=0)
    aggregate_fn_name: str = "weighted_average"
    debug_visualize_queue_size: bool = False
    # lr's own
    mode: Literal["async", "sync"] = "async"
    temporal_ensemble_coeff: float = TEMPORAL_ENSEMBLE_COEFF
    rename_map: dict[str, str] = {}
    keys: ClientKeysConfig = Field(default_factory=ClientKeysConfig)
    connection: ConnectionConfig = Field(default_factory=ConnectionConfig)
    duration_s: float | None = Field(default=None, gt=0)
    stats_file: Path | None = None
    client_name: str = ""

    @field_validator("server_address")
    @classmethod
    def _check_address(cls, value: str) -> str:
        normalize_address(value)
        return value

    @field_validator("client_device")
    @classmethod
    def _check_client_device(cls, value: str) -> str:
        if value != "cpu":
            raise ValueError(
                "the lr client keeps actions as numpy arrays on the CPU (it needs no torch); "
                "client_device must be 'cpu'"
            )
        return value

    @field_validator("aggregate_fn_name")
    @classmethod
    def _check_aggregate(cls, value: str) -> str:
        get_aggregate_fn(value)
        return value

    def connection_options(self) -> ConnectionOptions:
        """The :class:`ConnectionOptions` these settings describe."""
        c = self.connection
        return ConnectionOptions(
            heartbeat_s=c.heartbeat_s,
            timeout_s=c.timeout_s,
            handshake_timeout_s=c.handshake_timeout_s,
            max_message_bytes=c.max_message_bytes,
            client_secret_key=self.keys.client_secret_key,
            server_public_key=self.keys.server_public_key,
            client_name=self.client_name,
        )
