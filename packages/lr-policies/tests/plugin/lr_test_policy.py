"""A small real policy registered as ``tiny`` through an ``lr.policies`` entry point by the
tests' conftest: an MLP from state (and pooled camera pixels) to an action chunk, with dropout
so that training depends on the RNG state."""

from __future__ import annotations

from collections import deque
from typing import Any, ClassVar, Literal

import torch
from torch import Tensor, nn

from lr_core.features import FeatureType
from lr_core.policy import PolicyConfig
from lr_policies.pretrained import PreTrainedPolicy


class TinyConfig(PolicyConfig):
    """Config of the tiny test policy."""

    type: Literal["tiny"] = "tiny"
    implementation: ClassVar[str] = "lr_test_policy:TinyPolicy"

    chunk_size: int = 4
    n_action_steps: int = 4
    hidden: int = 32
    dropout: float = 0.1
    optimizer_lr: float = 1e-3

    @property
    def observation_delta_indices(self) -> list[int] | None:
        return None

    @property
    def action_delta_indices(self) -> list[int]:
        return list(range(self.chunk_size))

    @property
    def reward_delta_indices(self) -> None:
        return None


class TinyPolicy(PreTrainedPolicy):
    """MLP policy over the state vector and mean-pooled camera images."""

    config_class = TinyConfig

    def __init__(self, config: TinyConfig) -> None:
        super().__init__(config)
        self.state_keys = [
            k
            for k, f in config.input_features.items()
            if f.type in (FeatureType.STATE, FeatureType.ENV)
        ]
        self.image_keys = [
            k for k, f in config.input_features.items() if f.type is FeatureType.VISUAL
        ]
        d_in = sum(config.input_features[k].shape[0] for k in self.state_keys)
        d_in += sum(config.input_features[k].shape[0] for k in self.image_keys)
        self.action_dim = config.output_features["action"].shape[0]
        self.net = nn.Sequential(
            nn.Linear(d_in, config.hidden),
            nn.ReLU(),
            nn.Dropout(config.dropout),
            nn.Linear(config.hidden, config.chunk_size * self.action_dim),
        )
        self._queue: deque[Tensor] = deque()

    def _features(self, batch: dict[str, Tensor]) -> Tensor:
        parts = [batch[k] for k in self.state_keys]
        parts += [batch[k].mean(dim=(-1, -2)) for k in self.image_keys]
        return torch.cat(parts, dim=-1)

    def _chunk(self, batch: dict[str, Tensor]) -> Tensor:
        out = self.net(self._features(batch))
        return out.view(out.shape[0], self.config.chunk_size, self.action_dim)

    def forward(self, batch: dict[str, Tensor]) -> tuple[Tensor, dict[str, Any]]:
        pred = self._chunk(batch)
        err = (pred - batch["action"]).abs()
        if "action_is_pad" in batch:
            err = err * (~batch["action_is_pad"]).unsqueeze(-1)
        loss = err.mean()
        return loss, {"l1_loss": float(loss.detach())}

    @torch.no_grad()
    def predict_action_chunk(self, batch: dict[str, Tensor], **kwargs: Any) -> Tensor:
        self.eval()
        return self._chunk(batch)

    @torch.no_grad()
    def select_action(self, batch: dict[str, Tensor], **kwargs: Any) -> Tensor:
        if not self._queue:
            chunk = self.predict_action_chunk(batch)[:, : self.config.n_action_steps]
            self._queue.extend(chunk.transpose(0, 1))
        return self._queue.popleft()

    def reset(self) -> None:
        self._queue.clear()
