"""Flow matching for action chunks: training targets, time sampling and Euler sampling.

Lipman et al., "Flow Matching for Generative Modeling" (2023), in the convention of π0 / openpi
(and LeRobot 0.6.1's ``policies/common/flow_matching.py``): time runs from t = 1 (pure noise) to
t = 0 (actions). Training interpolates ``x_t = t·ε + (1 − t)·a`` and regresses the velocity
``u_t = ε − a``; sampling integrates ``x ← x + dt·v(x, t)`` with ``dt = −1/num_steps``.

Shapes: B batch, T chunk length, A (padded) action size.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import Tensor

#: ``velocity(x_t (B, T, A), t (B,) float32) -> v_t (B, T, A)``.
VelocityFn = Callable[[Tensor, Tensor], Tensor]
#: ``guide(x_t, t: float, velocity_of_x) -> v_t``: wraps one step (real-time chunking).
GuideFn = Callable[[Tensor, float, Callable[[Tensor], Tensor]], Tensor]


def sample_noise(shape: tuple[int, ...], device: torch.device | str) -> Tensor:
    """Standard-normal float32 noise ε (LeRobot's ``sample_noise``: one ``torch.normal`` draw)."""
    return torch.normal(mean=0.0, std=1.0, size=shape, dtype=torch.float32, device=device)


def sample_time(
    batch_size: int,
    device: torch.device | str,
    *,
    alpha: float = 1.5,
    beta: float = 1.0,
    scale: float = 0.999,
    offset: float = 0.001,
) -> Tensor:
    """Training times (B,) float32: ``Beta(alpha, beta) · scale + offset`` (openpi), drawn on the
    CPU generator as LeRobot does (so a seed gives both tools the same times)."""
    dist = torch.distributions.Beta(
        torch.tensor(alpha, dtype=torch.float32), torch.tensor(beta, dtype=torch.float32)
    )
    t = dist.sample((batch_size,)).to(device)
    return (t * scale + offset).to(dtype=torch.float32, device=device)


def noisy_actions(actions: Tensor, noise: Tensor, time: Tensor) -> tuple[Tensor, Tensor]:
    """``(x_t, u_t)``: the interpolant ``t·ε + (1 − t)·a`` and the target velocity ``ε − a``;
    actions and noise (B, T, A), time (B,)."""
    t = time[:, None, None]
    return t * noise + (1 - t) * actions, noise - actions


def time_embedding(time: Tensor, dim: int, min_period: float, max_period: float) -> Tensor:
    """Sine-cosine embedding (B, dim) of scalar times (B,), with periods spaced geometrically
    from ``min_period`` to ``max_period`` (openpi's ``create_sinusoidal_pos_embedding``; computed
    in float64 as LeRobot does on CPU/CUDA, returned float64)."""
    if dim % 2:
        raise ValueError(f"the time embedding size must be even, got {dim}")
    if time.ndim != 1:
        raise ValueError(f"time must have shape (B,), got {tuple(time.shape)}")
    dtype = torch.float32 if time.device.type == "mps" else torch.float64
    fraction = torch.linspace(0.0, 1.0, dim // 2, dtype=dtype, device=time.device)
    period = min_period * (max_period / min_period) ** fraction
    angle = (1.0 / period * 2 * math.pi)[None, :] * time[:, None]
    return torch.cat([torch.sin(angle), torch.cos(angle)], dim=1)


def euler_sample(
    velocity: VelocityFn, noise: Tensor, num_steps: int, *, guide: GuideFn | None = None
) -> Tensor:
    """Integrate ``velocity`` from t = 1 (``noise``, (B, T, A)) to t = 0 in ``num_steps`` Euler
    steps; t takes the values ``1 + k·dt`` (k = 0..num_steps−1) computed as Python floats, as
    openpi. ``guide`` (real-time chunking) replaces each step's velocity."""
    batch_size = noise.shape[0]
    dt = -1.0 / num_steps
    x_t = noise
    for step in range(num_steps):
        t = 1.0 + step * dt
        t_batch = torch.tensor(t, dtype=torch.float32, device=noise.device).expand(batch_size)

        def v_of(x: Tensor, t_batch: Tensor = t_batch) -> Tensor:
            return velocity(x, t_batch)

        v_t = v_of(x_t) if guide is None else guide(x_t, t, v_of)
        x_t = x_t + dt * v_t
    return x_t
