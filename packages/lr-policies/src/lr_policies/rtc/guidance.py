"""Real-time chunking guidance (Black, Galliker & Levine 2025; LeRobot 0.6.1's
``RTCProcessor.denoise_step``).

While a robot executes the current chunk, the next one is denoised with guidance toward the
actions of the current chunk that will still be in the queue: the first ``inference_delay`` of
them are executed before the new chunk arrives (weight 1), the following ones up to the
``execution_horizon`` fade out (the schedule), the rest are free.

At each Euler step (time ``t``, from 1 to 0; the paper's τ = 1 − t) with base velocity
``v = v(x_t, t)``, the predicted clean chunk is ``x̂_0 = x_t − t·v``, and the step becomes

    v' = v − min(β, c(τ)) · W ⊙ (Y − x̂_0),    c(τ) = (1 − τ)/τ · ((1 − τ)² + τ²)/(1 − τ)²

with Y the previous chunk's leftover (zero-padded to the chunk), W the prefix weights and β
``max_guidance_weight``. This is LeRobot 0.6.1's computation: its autograd correction is taken
through ``x̂_0`` with ``v`` detached from ``x_t``, so the vector–Jacobian product of the paper
reduces to the weighted error itself (no backward pass through the model).

Shapes: B batch, T chunk length, A action size.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor

from lr_policies.rtc.config import RTCAttentionSchedule, RTCConfig


def prefix_weights(
    schedule: RTCAttentionSchedule | str, start: int, end: int, total: int
) -> Tensor:
    """(total,) float32 guidance weights: 1 on the first ``start`` (= inference delay) actions,
    the ``schedule``'s fall between ``start`` and ``end`` (= execution horizon), 0 after
    ``end``. ``start`` is capped at ``end``."""
    schedule = RTCAttentionSchedule(schedule)
    start = min(start, end)
    if schedule is RTCAttentionSchedule.ZEROS:
        weights = torch.zeros(total)
        weights[:start] = 1.0
        return weights
    if schedule is RTCAttentionSchedule.ONES:
        weights = torch.ones(total)
        weights[end:] = 0.0
        return weights
    steps = total - max(total - end, 0) - start
    if end <= start or steps <= 0:
        ramp = torch.tensor([])
    else:
        ramp = torch.linspace(1, 0, steps + 2)[1:-1]
    if schedule is RTCAttentionSchedule.EXP:
        ramp = ramp * torch.expm1(ramp).div(math.e - 1)
    parts = [torch.ones(min(start, total)), ramp]
    if total - end > 0:
        parts.append(torch.zeros(total - end))
    return torch.cat(parts)


def guidance_weight(time: float, max_guidance_weight: float) -> Tensor:
    """The guidance weight at flow time ``time`` (1 → 0): ``min(β, c(1 − time))`` (0-dim)."""
    tau = torch.as_tensor(1.0 - time)
    beta = torch.as_tensor(max_guidance_weight)
    inv_r2 = ((1 - tau) ** 2 + tau**2) / (1 - tau) ** 2
    c = torch.nan_to_num((1 - tau) / tau, posinf=beta)
    return torch.minimum(torch.nan_to_num(c * inv_r2, posinf=beta), beta)


@dataclass
class RTCGuidance:
    """One chunk's guidance: call it as the ``guide`` of
    :func:`lr_policies.layers.flow_matching.euler_sample`.

    ``prev_chunk_left_over`` (B, T', A') or (T', A'): the previous chunk's actions (normalised,
    as the model outputs them) not executed yet; ``inference_delay``: how many of them run before
    this chunk is ready; ``execution_horizon``: defaults to the config's.
    """

    config: RTCConfig
    prev_chunk_left_over: Tensor
    inference_delay: int
    execution_horizon: int | None = None

    def __call__(self, x_t: Tensor, time: float, velocity) -> Tensor:  # type: ignore[no-untyped-def]
        v_t = velocity(x_t)
        squeeze = x_t.ndim < 3
        x = x_t.unsqueeze(0) if squeeze else x_t
        v = v_t.unsqueeze(0) if squeeze else v_t
        prev = self.prev_chunk_left_over
        if prev.ndim < 3:
            prev = prev.unsqueeze(0)
        horizon = self.execution_horizon
        if horizon is None:
            horizon = self.config.execution_horizon
        horizon = min(horizon, prev.shape[1])
        b, t_len, a_dim = x.shape
        if prev.shape[1] < t_len or prev.shape[2] < a_dim:
            padded = torch.zeros(b, t_len, a_dim, device=x.device)
            padded[:, : prev.shape[1], : prev.shape[2]] = prev
            prev = padded
        weights = prefix_weights(
            self.config.prefix_attention_schedule, self.inference_delay, horizon, t_len
        ).to(x.device)[None, :, None]
        x0_hat = x - time * v.detach()
        correction = (prev - x0_hat) * weights
        out = v - guidance_weight(time, self.config.max_guidance_weight) * correction
        return out.squeeze(0) if squeeze else out
