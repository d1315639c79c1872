"""1-D convolutional U-Net with FiLM conditioning (Diffusion Policy's noise predictor).

Module names follow LeRobot's ``DiffusionConditionalUnet1d`` (``diffusion_step_encoder``,
``down_modules.<i>.<0|1|2>``, ``mid_modules``, ``up_modules``, ``final_conv``), so its
checkpoints load unchanged. Shapes: B batch, T horizon, A action dim, C channels.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

import torch
from torch import Tensor, nn
from torch.utils.checkpoint import checkpoint

from lr_policies.layers.linear import Conv1d, ConvTranspose1d
from lr_policies.layers.positional import SinusoidalStepEmbedding


class Conv1dBlock(nn.Module):
    """Conv1d → GroupNorm → Mish, length-preserving."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, n_groups: int = 8):
        super().__init__()
        self.block = nn.Sequential(
            Conv1d(in_channels, out_channels, kernel_size, padding=kernel_size // 2),
            nn.GroupNorm(n_groups, out_channels),
            nn.Mish(),
        )

    def forward(self, x: Tensor) -> Tensor:
        """(B, C_in, T) → (B, C_out, T)."""
        return self.block(x)


class ConditionalResidualBlock1d(nn.Module):
    """Two conv blocks; between them the condition sets a per-channel bias (and scale, with
    ``use_film_scale_modulation``); plus a residual (1×1 conv when channels change)."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        cond_dim: int,
        kernel_size: int = 3,
        n_groups: int = 8,
        use_film_scale_modulation: bool = False,
    ) -> None:
        super().__init__()
        self.use_film_scale_modulation = use_film_scale_modulation
        self.out_channels = out_channels
        self.conv1 = Conv1dBlock(in_channels, out_channels, kernel_size, n_groups=n_groups)
        cond_channels = out_channels * 2 if use_film_scale_modulation else out_channels
        self.cond_encoder = nn.Sequential(nn.Mish(), nn.Linear(cond_dim, cond_channels))
        self.conv2 = Conv1dBlock(out_channels, out_channels, kernel_size, n_groups=n_groups)
        self.residual_conv: nn.Module = (
            Conv1d(in_channels, out_channels, 1) if in_channels != out_channels else nn.Identity()
        )

    def forward(self, x: Tensor, cond: Tensor) -> Tensor:
        """x (B, C_in, T), cond (B, cond_dim) → (B, C_out, T)."""
        out = self.conv1(x)
        embed = self.cond_encoder(cond).unsqueeze(-1)
        if self.use_film_scale_modulation:
            out = embed[:, : self.out_channels] * out + embed[:, self.out_channels :]
        else:
            out = out + embed
        out = self.conv2(out)
        return out + self.residual_conv(x)


class ConditionalUnet1d(nn.Module):
    """Predicts noise (or the clean sample) for a noisy action sequence.

    ``forward(x, timestep, global_cond)``: x (B, T, A), timestep (B,) ints, global_cond
    (B, global_cond_dim) → (B, T, A). T must be a multiple of ``2 ** (len(down_dims) - 1)``.
    """

    def __init__(
        self,
        action_dim: int,
        global_cond_dim: int,
        down_dims: Sequence[int] = (512, 1024, 2048),
        kernel_size: int = 5,
        n_groups: int = 8,
        diffusion_step_embed_dim: int = 128,
        use_film_scale_modulation: bool = True,
        gradient_checkpointing: bool = False,
    ) -> None:
        super().__init__()
        self.gradient_checkpointing = gradient_checkpointing
        step_dim = diffusion_step_embed_dim
        self.diffusion_step_encoder = nn.Sequential(
            SinusoidalStepEmbedding(step_dim),
            nn.Linear(step_dim, step_dim * 4),
            nn.Mish(),
            nn.Linear(step_dim * 4, step_dim),
        )
        cond_dim = step_dim + global_cond_dim
        in_out = [(action_dim, down_dims[0]), *pairwise(down_dims)]
        kw = {
            "cond_dim": cond_dim,
            "kernel_size": kernel_size,
            "n_groups": n_groups,
            "use_film_scale_modulation": use_film_scale_modulation,
        }
        self.down_modules = nn.ModuleList()
        for i, (dim_in, dim_out) in enumerate(in_out):
            is_last = i >= len(in_out) - 1
            self.down_modules.append(
                nn.ModuleList(
                    [
                        ConditionalResidualBlock1d(dim_in, dim_out, **kw),
                        ConditionalResidualBlock1d(dim_out, dim_out, **kw),
                        Conv1d(dim_out, dim_out, 3, 2, 1) if not is_last else nn.Identity(),
                    ]
                )
            )
        self.mid_modules = nn.ModuleList(
            [
                ConditionalResidualBlock1d(down_dims[-1], down_dims[-1], **kw),
                ConditionalResidualBlock1d(down_dims[-1], down_dims[-1], **kw),
            ]
        )
        self.up_modules = nn.ModuleList()
        for i, (dim_out, dim_in) in enumerate(reversed(in_out[1:])):
            is_last = i >= len(in_out) - 1
            self.up_modules.append(
                nn.ModuleList(
                    [
                        ConditionalResidualBlock1d(dim_in * 2, dim_out, **kw),
                        ConditionalResidualBlock1d(dim_out, dim_out, **kw),
                        ConvTranspose1d(dim_out, dim_out, 4, 2, 1)
                        if not is_last
                        else nn.Identity(),
                    ]
                )
            )
        self.final_conv = nn.Sequential(
            Conv1dBlock(down_dims[0], down_dims[0], kernel_size=kernel_size),
            Conv1d(down_dims[0], action_dim, 1),
        )

    def _run(self, block: nn.Module, x: Tensor, cond: Tensor) -> Tensor:
        if self.gradient_checkpointing and self.training:
            return checkpoint(block, x, cond, use_reentrant=False)  # type: ignore[return-value]
        return block(x, cond)

    def forward(self, x: Tensor, timestep: Tensor, global_cond: Tensor | None = None) -> Tensor:
        """(B, T, A) noisy actions → (B, T, A) prediction."""
        x = x.transpose(1, 2)
        cond = self.diffusion_step_encoder(timestep)
        if global_cond is not None:
            cond = torch.cat([cond, global_cond], dim=-1)
        skips: list[Tensor] = []
        for resnet, resnet2, downsample in self.down_modules:  # type: ignore[misc]
            x = self._run(resnet, x, cond)
            x = self._run(resnet2, x, cond)
            skips.append(x)
            x = downsample(x)
        for mid in self.mid_modules:
            x = self._run(mid, x, cond)
        for resnet, resnet2, upsample in self.up_modules:  # type: ignore[misc]
            x = torch.cat((x, skips.pop()), dim=1)
            x = self._run(resnet, x, cond)
            x = self._run(resnet2, x, cond)
            x = upsample(x)
        return self.final_conv(x).transpose(1, 2)
