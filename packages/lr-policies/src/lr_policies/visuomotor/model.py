"""Visuomotor policy: a small CNN with spatial soft-argmax per camera and an MLP to an action
chunk (see :mod:`lr_policies.visuomotor.config` for the sources).

Shapes: B batch, N cameras, K keypoints per camera, S chunk size, A action dim.

    image_n ─random shift (training)─▶ 3×3 convs (ReLU) ─1×1 conv─▶ (B,K,h,w) ─soft-argmax─▶ (B,2K)
    [keypoints of every camera, state, env state] ─MLP─▶ (B, S·A) ─▶ (B, S, A)

Online, a new chunk is predicted every step and overlapping chunks are averaged with ACT's
temporal ensembling, or ``n_action_steps`` actions of a chunk are executed before the next.
"""

from __future__ import annotations

from collections import deque
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from lr_policies.act.model import TemporalEnsembler
from lr_policies.errors import PolicyError
from lr_policies.layers.spatial_softmax import SpatialSoftmax
from lr_policies.policy_config import ACTION, OBS_ENV_STATE, OBS_STATE
from lr_policies.pretrained import PreTrainedPolicy
from lr_policies.visuomotor.config import VisuomotorConfig


def random_shift(images: Tensor, pad: int) -> Tensor:
    """Pad (B, C, H, W) images by ``pad`` pixels (edge values) and crop each back to (H, W) at a
    random offset in ``0..2·pad`` (DrQ, Kostrikov et al., 2020). Uses the global torch RNG."""
    b, _, h, w = images.shape
    padded = F.pad(images, (pad, pad, pad, pad), mode="replicate")
    dx = torch.randint(0, 2 * pad + 1, (b,), device=images.device)
    dy = torch.randint(0, 2 * pad + 1, (b,), device=images.device)
    rows = (torch.arange(h, device=images.device).unsqueeze(0) + dy.unsqueeze(1)).view(b, 1, h, 1)
    cols = (torch.arange(w, device=images.device).unsqueeze(0) + dx.unsqueeze(1)).view(b, 1, 1, w)
    c = images.shape[1]
    width = w + 2 * pad
    flat = padded.flatten(2)  # (B, C, (H+2p)(W+2p))
    index = (rows * width + cols).expand(b, c, h, w).reshape(b, c, h * w)
    return flat.gather(2, index).view(b, c, h, w)


class KeypointEncoder(nn.Module):
    """(B, 3, H, W) normalised image → (B, 2K) keypoint coordinates in [-1, 1]."""

    def __init__(self, config: VisuomotorConfig, image_shape: tuple[int, ...]) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        channels, (h, w) = image_shape[0], image_shape[1:]
        for out, stride in zip(config.vision_channels, config.vision_strides, strict=True):
            layers += [nn.Conv2d(channels, out, 3, stride, padding=1), nn.ReLU()]
            channels = out
            h, w = (h + 2 - 3) // stride + 1, (w + 2 - 3) // stride + 1
        self.convs = nn.Sequential(*layers)
        self.keypoints = SpatialSoftmax(
            (channels, h, w), num_kp=config.spatial_softmax_num_keypoints
        )
        self.feature_dim = 2 * config.spatial_softmax_num_keypoints

    def forward(self, image: Tensor) -> Tensor:
        """(B, 3, H, W) → (B, 2K)."""
        return self.keypoints(self.convs(image)).flatten(1)


class VisuomotorPolicy(PreTrainedPolicy):
    """The policy; batches hold normalised tensors: ``observation.images.<cam>`` (B, 3, H, W),
    optionally ``observation.state`` (B, D_state) and ``observation.environment_state``
    (B, D_env); for training also ``action`` (B, S, A) and ``action_is_pad`` (B, S)."""

    config_class = VisuomotorConfig
    name = "visuomotor"
    config: VisuomotorConfig

    def __init__(self, config: VisuomotorConfig) -> None:
        super().__init__(config)
        config.validate_features()
        encoders = [KeypointEncoder(config, ft.shape) for ft in config.image_features.values()]
        self.encoders = nn.ModuleList(encoders)
        d_in = sum(e.feature_dim for e in encoders)
        if config.robot_state_feature is not None:
            d_in += config.robot_state_feature.shape[0]
        if config.env_state_feature is not None:
            d_in += config.env_state_feature.shape[0]
        action = config.action_feature
        assert action is not None  # validate_features checked it
        self.action_dim = action.shape[0]
        layers: list[nn.Module] = []
        for width in config.hidden_dims:
            layers += [nn.Linear(d_in, width), nn.ReLU(), nn.Dropout(config.dropout)]
            d_in = width
        layers.append(nn.Linear(d_in, config.chunk_size * self.action_dim))
        self.head = nn.Sequential(*layers)
        self.temporal_ensembler: TemporalEnsembler | None = None
        if config.temporal_ensemble_coeff is not None:
            self.temporal_ensembler = TemporalEnsembler(
                config.temporal_ensemble_coeff, config.chunk_size
            )
        self._action_queue: deque[Tensor] = deque(maxlen=config.n_action_steps)

    def reset(self) -> None:
        """Forget queued actions and the temporal ensemble (call at each episode start)."""
        if self.temporal_ensembler is not None:
            self.temporal_ensembler.reset()
        self._action_queue = deque(maxlen=self.config.n_action_steps)

    def _chunk(self, batch: dict[str, Tensor]) -> Tensor:
        """(B, S, A) normalised actions."""
        cfg = self.config
        missing = [k for k in cfg.image_features if k not in batch]
        if missing:
            raise PolicyError(
                f"visuomotor batch lacks camera keys {missing}; it has {sorted(batch)}"
            )
        parts = []
        for encoder, key in zip(self.encoders, cfg.image_features, strict=True):
            image = batch[key]
            if self.training and cfg.random_shift > 0:
                image = random_shift(image, cfg.random_shift)
            parts.append(encoder(image))
        if cfg.robot_state_feature is not None:
            parts.append(batch[OBS_STATE])
        if cfg.env_state_feature is not None:
            parts.append(batch[OBS_ENV_STATE])
        out = self.head(torch.cat(parts, dim=-1))
        return out.view(out.shape[0], cfg.chunk_size, self.action_dim)

    @torch.no_grad()
    def predict_action_chunk(self, batch: dict[str, Tensor], **kwargs: Any) -> Tensor:
        """(B, chunk_size, A) normalised actions for the observation in ``batch``."""
        self.eval()
        return self._chunk(batch)

    @torch.no_grad()
    def select_action(self, batch: dict[str, Tensor], **kwargs: Any) -> Tensor:
        """The next action (B, A): the temporal-ensemble average, or popped from the queue
        (refilled with the first ``n_action_steps`` of a new chunk when empty)."""
        self.eval()
        if self.temporal_ensembler is not None:
            return self.temporal_ensembler.update(self.predict_action_chunk(batch))
        if not self._action_queue:
            actions = self.predict_action_chunk(batch)[:, : self.config.n_action_steps]
            self._action_queue.extend(actions.transpose(0, 1))
        return self._action_queue.popleft()

    def forward(self, batch: dict[str, Tensor]) -> tuple[Tensor, dict[str, Any]]:
        """Training loss: L1 between the predicted and recorded chunks, padding masked out.

        Returns ``(loss, {"l1_loss": float})``.
        """
        for key in (ACTION, "action_is_pad"):
            if key not in batch:
                raise PolicyError(
                    f"visuomotor training batch lacks {key!r}; it has {sorted(batch)}"
                )
        abs_err = F.l1_loss(self._chunk(batch), batch[ACTION], reduction="none")
        valid = ~batch["action_is_pad"].unsqueeze(-1)
        loss = (abs_err * valid).sum() / (valid.sum() * abs_err.shape[-1]).clamp_min(1)
        return loss, {"l1_loss": loss.item()}
