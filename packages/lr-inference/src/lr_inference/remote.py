"""A served policy behind lr-core's :class:`~lr_core.policy.RemotePolicy` contract, which is
what ``lr eval --policy.server=tcp://host:port`` runs (registered as ``tcp`` and ``ipc`` in the
``lr.remote_policies`` entry-point group, so lr-policies never imports this package).

It behaves like the policy's own ``select_action`` in a vectorised env: the policy's config
(sent in the handshake) decides how chunks are used, as lr-policies' ACT and Diffusion do
locally:

- ``temporal_ensemble_coeff`` set (ACT): a full chunk every step, merged by temporal
  ensembling with that coefficient;
- otherwise: ``n_action_steps`` actions from each chunk, a new chunk when they are used up;
- ``n_obs_steps`` > 1 (Diffusion): the last ``n_obs_steps`` observations go with each request
  (the first one repeated at the start of an episode).

Every env of the batch goes into one request, run in one forward pass on the server. Keys
for CurveZMQ ride on the address: ``tcp://host:port?client_secret_key=PATH&server_public_key=PATH``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import numpy as np

from lr_core.errors import ConfigError
from lr_core.features import PolicyFeature
from lr_core.messages import PolicySpec
from lr_inference.action_queue import ActionQueue
from lr_inference.aggregate import latest_only, temporal_ensemble
from lr_inference.connection import ConnectionOptions
from lr_inference.observation import features_of_batch
from lr_inference.policy_client import PolicyClient

_KEY_OPTIONS = ("client_secret_key", "server_public_key")


def split_address(server: str) -> tuple[str, dict[str, Path]]:
    """``tcp://h:p?client_secret_key=a&server_public_key=b`` → ``("tcp://h:p", {...})``."""
    parts = urlsplit(server if "://" in server else f"tcp://{server}")
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    unknown = sorted(set(query) - set(_KEY_OPTIONS))
    if unknown:
        raise ConfigError(
            f"--policy.server {server!r}: unknown options {unknown}; valid: {list(_KEY_OPTIONS)}"
        )
    address = f"{parts.scheme}://{parts.netloc}{parts.path}"
    return address, {k: Path(v).expanduser() for k, v in query.items()}


class RemotePolicyClient:
    """See the module docstring."""

    def __init__(
        self,
        server: str,
        *,
        pretrained_name_or_path: str,
        policy_type: str = "",
        device: str | None = None,
        rename_map: Mapping[str, str] | None = None,
        fps: float = 30.0,
        options: ConnectionOptions | None = None,
        request_timeout_s: float = 60.0,
    ) -> None:
        self.address, keys = split_address(server)
        self.options = options or ConnectionOptions(
            client_secret_key=keys.get("client_secret_key"),
            server_public_key=keys.get("server_public_key"),
            client_name="lr eval",
        )
        self.pretrained_name_or_path = pretrained_name_or_path
        self.policy_type = policy_type
        self.device = device or "cpu"
        self.rename_map = dict(rename_map or {})
        self.fps = fps
        self.request_timeout_s = request_timeout_s
        self.client: PolicyClient | None = None
        self._queues: list[ActionQueue] = []
        self._history: list[deque[dict[str, np.ndarray]]] = []
        self._step = 0
        self._every_step = False
        self._actions_per_chunk = 1
        self._n_obs_steps = 1

    @property
    def input_features(self) -> dict[str, PolicyFeature]:
        """The served policy's inputs under the caller's keys (empty before the first call)."""
        if self.client is None or self.client.welcome is None:
            return {}
        back = {v: k for k, v in self.rename_map.items()}
        features = self.client.welcome.policy.input_features
        return {back.get(k, k): f for k, f in features.items()}

    def _connect(self, observation: Mapping[str, np.ndarray]) -> PolicyClient:
        spec = PolicySpec(
            policy_type=self.policy_type,
            pretrained_name_or_path=self.pretrained_name_or_path,
            features=features_of_batch(observation),
            actions_per_chunk=1,
            device=self.device,
            rename_map=self.rename_map,
            fps=self.fps,
        )
        client = PolicyClient(
            self.address, spec, self.options, request_timeout_s=self.request_timeout_s
        )
        policy = client.connect().policy
        config = policy.config
        coeff = config.get("temporal_ensemble_coeff")
        self._every_step = coeff is not None
        self._n_obs_steps = policy.n_obs_steps
        if self._every_step:
            self._actions_per_chunk = policy.chunk_length
            self._aggregate: Any = lambda old, new, n: temporal_ensemble(old, new, n, float(coeff))
        else:
            n_action_steps = int(config.get("n_action_steps") or policy.chunk_length)
            self._actions_per_chunk = min(n_action_steps, policy.chunk_length)
            self._aggregate = latest_only
        if self._actions_per_chunk != spec.actions_per_chunk:
            client.connection.handshake_again(
                spec.model_copy(update={"actions_per_chunk": self._actions_per_chunk})
            )
            client.connect()
        self.client = client
        return client

    def reset(self) -> None:
        """Forget queued actions and observation history (a new episode)."""
        self._queues = []
        self._history = []
        self._step = 0

    def select_action(self, observation: Mapping[str, np.ndarray]) -> np.ndarray:
        """``(B, D_action)`` float32 for a batch of env observations (dataset keys)."""
        arrays = {k: np.asarray(v) for k, v in observation.items()}
        batch = len(next(iter(arrays.values())))
        client = self.client or self._connect(arrays)
        if len(self._queues) != batch:
            self._queues = [ActionQueue(self._aggregate) for _ in range(batch)]
            self._history = [deque(maxlen=self._n_obs_steps) for _ in range(batch)]
        items = [{k: v[i] for k, v in arrays.items()} for i in range(batch)]
        for history, item in zip(self._history, items):
            history.append(item)
        if any(len(q) == 0 for q in self._queues) or self._every_step:
            requests = [self._stacked(h) for h in self._history]
            chunks = client.infer_batch(requests, timestep=self._step)
            for queue, chunk in zip(self._queues, chunks):
                queue.merge(chunk.timestep, chunk.actions)
        actions = []
        for queue in self._queues:
            action = queue.pop()
            if action is None:  # cannot happen: every queue was just refilled
                raise RuntimeError("no action queued after a refill")
            actions.append(action)
        self._step += 1
        return np.stack(actions).astype(np.float32, copy=False)

    def _stacked(self, history: deque[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
        if self._n_obs_steps == 1:
            return history[-1]
        frames = list(history)
        frames = [frames[0]] * (self._n_obs_steps - len(frames)) + frames
        return {k: np.stack([f[k] for f in frames]) for k in frames[-1]}

    def close(self) -> None:
        """Say Bye to the server."""
        if self.client is not None:
            self.client.close()
            self.client = None


def connect(server: str, **kwargs: Any) -> RemotePolicyClient:
    """The ``lr.remote_policies`` entry point: a :class:`RemotePolicyClient` (it connects on
    the first :meth:`~RemotePolicyClient.select_action`)."""
    return RemotePolicyClient(server, **kwargs)
