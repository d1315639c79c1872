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
    """This robot's secret key file (``<name>.key_secret`` from ``lr keys generate``); null:
    no encryption."""
    server_public_key: Path | None = None
    """The server's public key file (``<server>.key``); set with ``client_secret_key``."""

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
    """Ping period while connected, in seconds (also keeps the clock offset current)."""
    timeout_s: float = Field(default=3.0, gt=0)
    """A server silent this long (s) is considered gone: reconnect and redo the handshake."""
    handshake_timeout_s: float = Field(default=120.0, gt=0)
    """How long (s) a hello waits for the server's welcome (loading a large policy takes a
    while) before it is sent again."""
    request_timeout_s: float = Field(default=10.0, gt=0)
    """An observation with no action chunk back after this long (s) is given up and a new one
    is sent."""
    max_message_bytes: int = Field(default=DEFAULT_MAX_MESSAGE_BYTES, gt=1024)
    """Largest message accepted from the server, in bytes (larger ones are dropped)."""


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
    """Type of policy the server runs (``act``, ``diffusion``, ``smolvla``...)."""
    pretrained_name_or_path: str
    """Pretrained model the server loads: a Hub repo id or a folder on the server."""
    robot: RobotConfig
    """The robot this client drives."""
    actions_per_chunk: int = Field(gt=0)
    """Number of actions asked for per chunk (at most the policy's chunk length)."""
    task: str = ""
    """Task instruction for the robot to execute (e.g. 'fold my tshirt'), for language policies."""
    server_address: str = "127.0.0.1:8080"
    """Policy server address to connect to, ``host:port``."""
    policy_device: str = "cpu"
    """Device the server runs the policy on (``cpu``, ``cuda``, ``cuda:1``, ``mps``)."""
    client_device: str = "cpu"
    """Device actions are kept on after they arrive; only ``cpu`` (the client needs no torch)."""
    chunk_size_threshold: float = Field(default=0.5, ge=0, le=1)
    """Ask for a new chunk when the queue holds at most this fraction of
    ``actions_per_chunk`` actions (async mode; 0..1)."""
    fps: int = Field(default=30, gt=0)
    """Control loop rate, in frames (actions) per second."""
    aggregate_fn_name: str = "weighted_average"
    """How a queued action merges with a newer one for the same step: weighted_average,
    latest_only, average, conservative, temporal_ensemble, or ``module:function``."""
    debug_visualize_queue_size: bool = False
    """Record the action queue size at every tick and print its chart at the end."""
    # lr's own
    mode: Literal["async", "sync"] = "async"
    """``async``: ask for the next chunk while executing the queue; ``sync``: ask, wait
    (holding the last action), execute the whole chunk, repeat."""
    temporal_ensemble_coeff: float = TEMPORAL_ENSEMBLE_COEFF
    """Weight decay ``m`` of ``aggregate_fn_name=temporal_ensemble`` (weights exp(-m·i), ACT's)."""
    rename_map: dict[str, str] = {}
    """Robot observation key -> policy input key, for a policy trained under other names."""
    keys: ClientKeysConfig = Field(default_factory=ClientKeysConfig)
    """CurveZMQ key files (encrypted, authenticated link)."""
    connection: ConnectionConfig = Field(default_factory=ConnectionConfig)
    """Timeouts of the link to the server."""
    duration_s: float | None = Field(default=None, gt=0)
    """Stop after this many seconds (default: run until Ctrl-C)."""
    stats_file: Path | None = None
    """JSON file to write the run's counters and timings to at the end."""
    client_name: str = ""
    """Name this client gives the server, shown in its logs (empty: the socket identity)."""

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
