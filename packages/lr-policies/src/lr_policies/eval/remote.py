"""``lr eval --policy.server=tcp://host:port``: evaluate a policy served by ``lr serve``.

The policy runs in the server; this side only steps the env. The connection comes from
lr-core's :func:`~lr_core.policy.connect_remote_policy`, which finds the connector by address
scheme in the ``lr.remote_policies`` entry-point group (lr-inference registers ``tcp``), so
lr-policies does not import lr-inference. :class:`RemotePolicyAdapter` gives the remote policy
the shape :func:`lr_policies.eval.rollout.run_batch` drives: the batch that ``run_batch``
prepares (cameras as float ``(B, 3, H, W)`` in [0, 1]) is turned back into the env's uint8
``(B, H, W, 3)`` frames, exactly (``round(x · 255)`` inverts ``k / 255`` for every byte ``k``),
and the server's own pre-processor normalises them, so a served policy sees the same inputs
as a local one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from lr_core.policy import RemotePolicy, connect_remote_policy
from lr_policies.eval.config import EvalRunConfig


class _RemoteConfig:
    """``policy.config`` as ``run_batch`` reads it (input features, known after connecting)."""

    def __init__(self, remote: RemotePolicy) -> None:
        self._remote = remote

    @property
    def input_features(self) -> Any:
        return self._remote.input_features


class RemotePolicyAdapter:
    """A :class:`~lr_core.policy.RemotePolicy` where ``run_batch`` expects a local policy."""

    def __init__(self, remote: RemotePolicy) -> None:
        self.remote = remote
        self.config = _RemoteConfig(remote)

    def reset(self) -> None:
        """A new episode."""
        self.remote.reset()

    def select_action(self, batch: dict[str, Any]) -> torch.Tensor:
        """``(B, D_action)`` from the server for a batch prepared by ``run_batch``."""
        observation: dict[str, np.ndarray] = {}
        for key, value in batch.items():
            if not isinstance(value, torch.Tensor):
                continue
            if key.startswith("observation.image") and value.ndim == 4:
                frames = value.mul(255.0).round_().clamp_(0, 255).to(torch.uint8)
                observation[key] = frames.permute(0, 2, 3, 1).contiguous().numpy()
            else:
                observation[key] = value.detach().cpu().numpy()
        return torch.from_numpy(self.remote.select_action(observation))


def _unchanged(batch: Any) -> Any:
    return batch


def evaluate_remote(
    cfg: EvalRunConfig, evaluate_policy: Callable[..., dict[str, Any]]
) -> dict[str, Any]:
    """``lr eval`` with ``--policy.server``: ``cfg.policy.path`` is resolved on the server.

    ``evaluate_policy`` is :func:`lr_policies.eval.rollout.evaluate_policy`, passed in by its
    caller (that module calls this one)."""
    assert cfg.policy.server is not None
    remote = connect_remote_policy(
        cfg.policy.server,
        pretrained_name_or_path=cfg.policy.path,
        device=cfg.policy.device,
        rename_map=cfg.rename_map,
        fps=cfg.env.fps,
    )
    output_dir = cfg.resolved_output_dir()
    try:
        report = evaluate_policy(
            RemotePolicyAdapter(remote),  # type: ignore[arg-type]
            _unchanged,
            _unchanged,
            cfg.env,
            cfg.eval,
            seed=cfg.seed,
            output_dir=output_dir,
            label=f"{cfg.policy.path} served by {cfg.policy.server}",
        )
    finally:
        remote.close()
    cfg.save(output_dir / "eval_config.json")
    return report
