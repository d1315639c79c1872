"""Sinusoidal position embeddings: ACT's 1-D table and 2-D feature-map embedding, and the
diffusion-timestep embedding. Arithmetic follows LeRobot's step by step so outputs match."""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import Tensor, nn


def sinusoidal_table(num_positions: int, dimension: int) -> Tensor:
    """(num_positions, dimension) float32 table: sin on even, cos on odd channels.

    Computed in float64 with numpy and cast, as LeRobot's ``create_sinusoidal_pos_embedding``.
    """
    pos = np.arange(num_positions, dtype=np.float64)[:, None]
    hid = np.arange(dimension)
    table = pos / np.power(10000, 2 * (hid // 2) / dimension)
    table[:, 0::2] = np.sin(table[:, 0::2])
    table[:, 1::2] = np.cos(table[:, 1::2])
    return torch.from_numpy(table).float()


class SinusoidalPositionEmbedding2d(nn.Module):
    """2-D sinusoidal embedding of a feature map, positions scaled to (0, 2π] (DETR/ACT style).

    ``forward(x)`` with ``x`` (B, C, H, W) returns (1, 2·dimension, H, W): ``dimension`` channels
    of interleaved sin/cos of the row position, then as many of the column position. The result
    depends only on (H, W), so it is cached per size, device and dtype.
    """

    def __init__(self, dimension: int) -> None:
        super().__init__()
        self.dimension = dimension
        self._two_pi = 2 * math.pi
        self._eps = 1e-6
        self._temperature = 10000
        self._cache: dict[tuple[int, int, torch.device], Tensor] = {}

    def compute(self, height: int, width: int, device: torch.device) -> Tensor:
        """The (1, 2·dimension, H, W) embedding, float32 (uncached)."""
        not_mask = torch.ones((1, height, width), device=device)
        y_range = not_mask.cumsum(1, dtype=torch.float32)
        x_range = not_mask.cumsum(2, dtype=torch.float32)
        y_range = y_range / (y_range[:, -1:, :] + self._eps) * self._two_pi
        x_range = x_range / (x_range[:, :, -1:] + self._eps) * self._two_pi
        inverse_frequency = self._temperature ** (
            2
            * (torch.arange(self.dimension, dtype=torch.float32, device=device) // 2)
            / self.dimension
        )
        x_range = x_range.unsqueeze(-1) / inverse_frequency
        y_range = y_range.unsqueeze(-1) / inverse_frequency
        pos_x = torch.stack((x_range[..., 0::2].sin(), x_range[..., 1::2].cos()), dim=-1).flatten(3)
        pos_y = torch.stack((y_range[..., 0::2].sin(), y_range[..., 1::2].cos()), dim=-1).flatten(3)
        return torch.cat((pos_y, pos_x), dim=3).permute(0, 3, 1, 2)

    def forward(self, x: Tensor) -> Tensor:
        """Embedding for the spatial size of ``x`` (B, C, H, W), in ``x``'s dtype."""
        key = (x.shape[-2], x.shape[-1], x.device)
        emb = self._cache.get(key)
        if emb is None:
            # A plain tensor even under inference mode, so training can reuse it.
            with torch.inference_mode(False), torch.no_grad():
                emb = self.compute(x.shape[-2], x.shape[-1], x.device)
            self._cache[key] = emb
        return emb.to(dtype=x.dtype)


class SinusoidalStepEmbedding(nn.Module):
    """Embedding of diffusion timesteps (B,) → (B, dim): ``[sin(t·f), cos(t·f)]``,
    ``f_i = exp(-i · ln(10000)/(dim/2 − 1))`` (Diffusion Policy's ``SinusoidalPosEmb``)."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, x: Tensor) -> Tensor:
        """Timesteps (B,) of any numeric dtype → (B, dim) float32."""
        half_dim = self.dim // 2
        emb = math.log(10000) / (half_dim - 1)
        emb = torch.exp(torch.arange(half_dim, device=x.device) * -emb)
        emb = x.unsqueeze(-1) * emb.unsqueeze(0)
        return torch.cat((emb.sin(), emb.cos()), dim=-1)
