"""A small real policy registered as ``tiny`` through an ``lr.policies`` entry point by the
tests' conftest: an MLP from state (and pooled camera pixels) to an action chunk, with dropout
so that training depends on the RNG state."""

from __future__ import annotations

from collections import deque
from typing import Any, ClassVar, Literal

import torch
from pydantic import Field, PositiveInt, model_validator
from torch import Tensor, nn

from lr_core.features import FeatureType
from lr_core.policy import PolicyConfig
from lr_policies.pretrained import PreTrainedPolicy


class TinyConfig(PolicyConfig):
    """Config of the tiny test policy."""

    type: Literal["tiny"] = "tiny"
    implementation: ClassVar[str] = "lr_test_policy:TinyPolicy"

    chunk_size: PositiveInt = 4
    n_action_steps: PositiveInt = 4
    hidden: PositiveInt = 32
    dropout: float = Field(0.1, ge=0.0, lt=1.0)
    optimizer_lr: float = 1e-3
    use_amp: bool = False
    #: Gaussian noise added to predicted actions (draws from the global torch RNG, as
    #: Diffusion's sampling does).
    inference_noise: float = 0.0

    @model_validator(mode="after")
    def _check(self) -> TinyConfig:
        if self.n_action_steps > self.chunk_size:
            raise ValueError(
                f"n_action_steps ({self.n_action_steps}) cannot exceed chunk_size "
                f"({self.chunk_size})"
            )
        return self

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
        chunk = self._chunk(batch)
        if self.config.inference_noise:
            chunk = chunk + self.config.inference_noise * torch.randn_like(chunk)
        return chunk

    @torch.no_grad()
    def select_action(self, batch: dict[str, Tensor], **kwargs: Any) -> Tensor:
        if not self._queue:
            chunk = self.predict_action_chunk(batch)[:, : self.config.n_action_steps]
            self._queue.extend(chunk.transpose(0, 1))
        return self._queue.popleft()

    def reset(self) -> None:
        self._queue.clear()


class SyntheticDataset(torch.utils.data.Dataset):
    """A small map-style dataset with LeRobot's item layout and ``meta`` (fps, features, stats,
    episodes): ``n_episodes`` episodes of ``length`` frames; the action window follows
    ``delta_timestamps`` semantics (clamped at episode edges, with ``action_is_pad``)."""

    def __init__(
        self,
        n_episodes: int = 3,
        length: int = 20,
        chunk: int = 4,
        image: bool = True,
        seed: int = 0,
        obs_deltas: list[int] | None = None,
        action_deltas: list[int] | None = None,
        state_dim: int = 3,
        image_hw: tuple[int, int] = (6, 8),
    ):
        g = torch.Generator().manual_seed(seed)
        n = n_episodes * length
        # The state is a random walk and the action the (scaled) next position: learnable.
        self.state = torch.cumsum(torch.randn(n, state_dim, generator=g) * 0.3, 0)
        self.actions = torch.roll(self.state[:, :2], -1, 0) * 2 + 0.5
        h, w = image_hw
        self.images = torch.rand(n, 3, h, w, generator=g) if image else None
        self.length = length
        self.obs_deltas = obs_deltas
        self.action_deltas = action_deltas if action_deltas is not None else list(range(chunk))
        features = {
            "observation.state": {"dtype": "float32", "shape": [state_dim], "names": None},
            "action": {"dtype": "float32", "shape": [2], "names": None},
            "timestamp": {"dtype": "float32", "shape": [1], "names": None},
            "episode_index": {"dtype": "int64", "shape": [1], "names": None},
            "index": {"dtype": "int64", "shape": [1], "names": None},
        }
        stats = {
            "observation.state": _stats(self.state),
            "action": _stats(self.actions),
        }
        if image:
            features["observation.images.front"] = {
                "dtype": "video",
                "shape": [h, w, 3],
                "names": ["height", "width", "channels"],
            }
            per_channel = self.images.transpose(0, 1).reshape(3, -1).T
            stats["observation.images.front"] = {
                k: v.reshape(3, 1, 1) for k, v in _stats(per_channel).items()
            }
        episodes = [
            {
                "episode_index": e,
                "dataset_from_index": e * length,
                "dataset_to_index": (e + 1) * length,
            }
            for e in range(n_episodes)
        ]

        class Meta:
            pass

        self.meta = Meta()
        self.meta.fps = 10
        self.meta.features = features
        self.meta.stats = stats
        self.meta.episodes = episodes

    def __len__(self) -> int:
        return self.state.shape[0]

    def _window(self, i: int, deltas: list[int]) -> tuple[Tensor, Tensor]:
        ep = i // self.length
        lo, hi = ep * self.length, (ep + 1) * self.length
        idx = i + torch.tensor(deltas)
        pad = (idx < lo) | (idx >= hi)
        return idx.clamp(lo, hi - 1), pad

    def __getitem__(self, i: int) -> dict[str, Any]:
        ep = i // self.length
        idx, pad = self._window(i, self.action_deltas)
        item: dict[str, Any] = {
            "action": self.actions[idx],
            "action_is_pad": pad,
            "episode_index": torch.tensor(ep),
            "index": torch.tensor(i),
            "timestamp": torch.tensor((i - ep * self.length) / 10.0),
            "task": "move",
        }
        obs = {"observation.state": self.state}
        if self.images is not None:
            obs["observation.images.front"] = self.images
        for key, values in obs.items():
            if self.obs_deltas is None:
                item[key] = values[i]
            else:
                oidx, opad = self._window(i, self.obs_deltas)
                item[key] = values[oidx]
                item[f"{key}_is_pad"] = opad
        return item


def _stats(x: Tensor) -> dict[str, Tensor]:
    """Per-column stats of a ``(N, D)`` tensor."""
    return {
        "mean": x.mean(0),
        "std": x.std(0),
        "min": x.min(0).values,
        "max": x.max(0).values,
    }
