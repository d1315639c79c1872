"""Spatial soft-argmax (Finn et al., 2016): the expected image coordinates of each feature
channel's activation, as robomimic and LeRobot's Diffusion Policy compute them."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn


class SpatialSoftmax(nn.Module):
    """(B, C, H, W) feature maps → (B, K, 2) keypoints (x, y) in [-1, 1].

    With ``num_kp`` a 1×1 convolution (``nets``) first maps C channels to K; otherwise K = C.
    ``pos_grid`` (H·W, 2) is a buffer (saved in checkpoints, as LeRobot does).
    """

    pos_grid: Tensor  # a buffer (register_buffer), declared for type checkers

    def __init__(self, input_shape: tuple[int, int, int], num_kp: int | None = None) -> None:
        super().__init__()
        self._in_c, self._in_h, self._in_w = input_shape
        self.nets: nn.Conv2d | None = None
        self._out_c = self._in_c
        if num_kp is not None:
            self.nets = nn.Conv2d(self._in_c, num_kp, kernel_size=1)
            self._out_c = num_kp
        # numpy's linspace, as the original: torch.linspace rounds slightly differently.
        pos_x, pos_y = np.meshgrid(
            np.linspace(-1.0, 1.0, self._in_w), np.linspace(-1.0, 1.0, self._in_h)
        )
        grid = np.stack([pos_x.reshape(-1), pos_y.reshape(-1)], axis=1)
        self.register_buffer("pos_grid", torch.from_numpy(grid).float())

    def forward(self, features: Tensor) -> Tensor:
        """(B, C, H, W) → (B, K, 2)."""
        if self.nets is not None:
            features = self.nets(features)
        attention = F.softmax(features.reshape(-1, self._in_h * self._in_w), dim=-1)
        return (attention @ self.pos_grid).view(-1, self._out_c, 2)
