"""What the server runs: a :class:`ServedPolicy` (numpy in, numpy out), built by a loader.

The server only deals with this protocol, so it stays free of torch; the default loader,
:func:`lr_inference.server.lr_policy.load_lr_policy`, wraps an lr-policies checkpoint (torch,
its pre/post-processors). :mod:`lr_inference.testing` has torch-free ones with a fixed cost,
for tests and benchmarks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from lr_core.features import PolicyFeature
from lr_core.messages import PolicySpec


@dataclass(frozen=True)
class PolicyDescription:
    """A loaded policy, as the handshake checks it.

    - ``input_features``: policy keys → role and shape (images ``(C, H, W)``, as in a
      checkpoint's ``config.json``);
    - ``action_dim``: ``D_action``; ``chunk_length``: actions per forward pass ``T``;
    - ``n_obs_steps``: observations per input (> 1: the client sends its last ``S`` frames);
    - ``max_batch_size``: most observations per forward pass (1: no batching);
    - ``config``: the policy's config as JSON (sent to clients).
    """

    policy_type: str
    input_features: dict[str, PolicyFeature]
    action_dim: int
    chunk_length: int
    n_obs_steps: int = 1
    max_batch_size: int = 64
    config: dict[str, Any] = field(default_factory=dict)


@dataclass
class StageStamps:
    """``time.time()`` at the stage boundaries of one forward pass."""

    preprocess_started: float = 0.0
    inference_started: float = 0.0
    inference_finished: float = 0.0
    postprocess_finished: float = 0.0


class ServedPolicy(Protocol):
    """A policy the server can run on a batch of observations."""

    description: PolicyDescription

    def predict(self, batch: list[dict[str, Any]]) -> tuple[np.ndarray, StageStamps]:
        """Actions ``(B, T, D_action)`` float32 in robot units for ``B`` observations.

        Each item maps policy keys to raw arrays: images ``(H, W, C)`` uint8 (``(S, H, W, C)``
        when ``n_obs_steps`` = S > 1), state vectors ``(D,)`` (``(S, D)``) float32, and
        ``"task"`` to the instruction string when the client sent one. Raises any exception on
        failure; the server reports it to the clients of the batch.
        """
        ...


#: Builds a served policy from a client's spec (may take seconds: it runs in its own thread).
PolicyLoader = Callable[[PolicySpec], ServedPolicy]


def policy_key(spec: PolicySpec) -> tuple[str, str, str]:
    """Clients whose specs share this key share one loaded policy (and its batches)."""
    return (spec.policy_type, spec.pretrained_name_or_path, spec.device)
