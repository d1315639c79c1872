"""The policy contract and the base of policy configs (no torch needed to use either), and
the contract of a policy served by another process (:class:`RemotePolicy`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Protocol, runtime_checkable

import numpy as np

from lr_core import registry
from lr_core.config import PluginConfig
from lr_core.features import PolicyFeature

#: Entry-point group of remote-policy connectors, keyed by the address scheme (``tcp``).
REMOTE_POLICY_GROUP = "lr.remote_policies"


class PolicyConfig(PluginConfig):
    """Base of policy configs (``lr.policies``); a checkpoint's ``config.json`` validates
    against it anywhere, torch installed or not.

    ``input_features`` / ``output_features`` map dataset keys to their role and shape (CHW
    for images); they are filled from the dataset's features when left empty.
    """

    registry_group: ClassVar[str | None] = "lr.policies"

    input_features: dict[str, PolicyFeature] = {}
    """Policy inputs: key -> role and shape (filled from the dataset when empty)."""
    output_features: dict[str, PolicyFeature] = {}
    """Policy outputs: key -> role and shape (filled from the dataset when empty)."""
    device: str | None = None
    """Torch device the policy runs on (default: cuda when available, else cpu)."""

    @property
    def observation_delta_indices(self) -> list[int] | None:
        """Frame offsets a training sample loads for every ``observation.*`` key (``None``:
        the current frame only)."""
        return None

    @property
    def action_delta_indices(self) -> list[int] | None:
        """Frame offsets loaded for ``action`` (``None``: the current frame only)."""
        return None

    @property
    def reward_delta_indices(self) -> list[int] | None:
        """Frame offsets loaded for ``next.reward`` (``None``: not loaded)."""
        return None


@runtime_checkable
class Policy(Protocol):
    """What every policy offers (implemented as ``torch.nn.Module`` subclasses in lr-policies).

    Batches are dicts of tensors: ``observation.state`` ``(B, D_state)``,
    ``observation.images.<cam>`` ``(B, 3, H, W)`` float in [0, 1], ``action`` ``(B, T, D_action)``.
    """

    config: PolicyConfig

    def forward(self, batch: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        """Training loss (a scalar tensor) and a dict of loggable floats."""
        ...

    def select_action(self, observation: dict[str, Any]) -> Any:
        """The next action ``(B, D_action)``, popped from an internal queue of chunks."""
        ...

    def predict_action_chunk(self, observation: dict[str, Any]) -> Any:
        """A whole chunk of actions ``(B, T, D_action)`` for this observation."""
        ...

    def reset(self) -> None:
        """Clear internal queues; call at the start of every episode."""
        ...


@runtime_checkable
class RemotePolicy(Protocol):
    """A policy that runs in a policy server, driven with numpy arrays (no torch needed here).

    ``lr eval --policy.server=tcp://host:port`` uses one in place of a local policy. Observations
    use the env's (dataset) keys with a leading batch axis: ``observation.state`` ``(B, D)``
    float, ``observation.images.<cam>`` ``(B, H, W, 3)`` uint8.
    """

    #: The inputs the served policy needs, keyed as the caller sends them (after undoing the
    #: ``rename_map``), with the policy's (channels-first) shapes.
    input_features: Mapping[str, PolicyFeature]

    def select_action(self, observation: Mapping[str, np.ndarray]) -> np.ndarray:
        """The next action ``(B, D_action)`` float32 for a batch of observations."""
        ...

    def reset(self) -> None:
        """Forget queued actions; call at the start of every episode."""
        ...

    def close(self) -> None:
        """Say goodbye to the server and release the connection."""
        ...


def connect_remote_policy(
    server: str,
    *,
    pretrained_name_or_path: str,
    policy_type: str = "",
    device: str | None = None,
    rename_map: Mapping[str, str] | None = None,
    fps: float = 30.0,
) -> RemotePolicy:
    """Connect to the policy server at ``server`` and have it run a saved policy.

    ``server`` is ``scheme://address`` (``tcp://gpu-box:8080``; a bare ``host:port`` means
    ``tcp``); the scheme picks the connector registered in the ``lr.remote_policies``
    entry-point group (lr-inference registers ``tcp``), so callers need not import it.
    ``pretrained_name_or_path`` is resolved on the server; ``policy_type`` (empty: whatever the
    checkpoint is) and ``device`` (empty: the server's choice) go with it.

    Raises:
        PluginError: no installed distribution serves that scheme (install ``lr-inference``).
    """
    scheme = server.split("://", 1)[0] if "://" in server else "tcp"
    connect = registry.load(REMOTE_POLICY_GROUP, scheme)
    return connect(
        server,
        pretrained_name_or_path=pretrained_name_or_path,
        policy_type=policy_type,
        device=device,
        rename_map=dict(rename_map or {}),
        fps=fps,
    )
