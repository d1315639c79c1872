"""Rotary position embedding and masked grouped-query attention, as the VLA backbones use them.

Shapes: B batch, L / S query and key lengths, H query heads, K key/value heads (H = K·G),
D head size. Tensors are (B, L, H, D) as the projections produce them.

The attention is LeRobot's "eager" one (scores in float32, masked entries set to the float32
minimum rather than −∞, so a fully masked row, e.g. a padding token's, becomes a uniform average
instead of NaN), computed per key/value head with its G query heads stacked, which avoids
copying K and V G times.
"""

from __future__ import annotations

import torch
from torch import Tensor


def rope_tables(  # type: ignore[no-untyped-def]
    positions: Tensor, head_dim: int, max_wavelength: float = 10_000.0, *, inverse: bool = False
):
    """``(cos, sin)`` (B, L, 1, D/2) float32 for integer ``positions`` (B, L): split-half RoPE
    with frequencies ``max_wavelength^(−2i/D)``. The angle is ``position / timescale`` as
    LeRobot's SmolVLA computes it, or with ``inverse`` ``position · (1 / timescale)`` as
    transformers' Gemma rotary embedding does (the same up to float32 rounding)."""
    half = head_dim // 2
    if inverse:
        steps = torch.arange(0, head_dim, 2, dtype=torch.int64, device=positions.device).float()
        inv_freq = 1.0 / (max_wavelength ** (steps / head_dim))
        radians = positions[..., None].to(torch.float32) * inv_freq[None, None, :]
    else:
        exponents = (2.0 / head_dim) * torch.arange(
            half, dtype=torch.float32, device=positions.device
        )
        timescale = max_wavelength**exponents
        radians = positions[..., None].to(torch.float32) / timescale[None, None, :]
    radians = radians[..., None, :]
    return torch.cos(radians), torch.sin(radians)


def apply_rope(x: Tensor, cos: Tensor, sin: Tensor) -> Tensor:
    """Rotate (B, L, H, D) by the tables of :func:`rope_tables` (computed in float32, returned
    in ``x``'s dtype): ``[x1·cos − x2·sin, x2·cos + x1·sin]`` on the two halves."""
    dtype = x.dtype
    x = x.to(torch.float32)
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat([x1 * cos - x2 * sin, x2 * cos + x1 * sin], dim=-1).to(dtype)


def masked_gqa_attention(q: Tensor, k: Tensor, v: Tensor, mask: Tensor, scale: float) -> Tensor:
    """Attention of q (B, L, H, D) over k, v (B, S, K, D) where ``mask`` (B, L, S) bool allows;
    returns (B, L, H·D) in ``v``'s dtype (scores and softmax in float32)."""
    with torch.autocast(q.device.type, enabled=False):  # float32 scores even under autocast
        return _attention(q, k, v, mask, scale)


def _attention(q: Tensor, k: Tensor, v: Tensor, mask: Tensor, scale: float) -> Tensor:
    b, n_q, n_heads, d = q.shape
    n_kv = k.shape[2]
    groups = n_heads // n_kv
    # Query head h = kv·G + g uses key/value head kv (LeRobot's expand of K and V).
    qg = q.to(torch.float32).reshape(b, n_q, n_kv, groups, d).permute(0, 2, 3, 1, 4)
    qg = qg.reshape(b, n_kv, groups * n_q, d)
    kt = k.to(torch.float32).permute(0, 2, 3, 1)  # (B, K, D, S)
    scores = torch.matmul(qg, kt).mul_(scale).view(b, n_kv, groups, n_q, -1)
    scores = scores.masked_fill_(~mask[:, None, None], torch.finfo(torch.float32).min)
    probs = torch.softmax(scores, dim=-1).to(v.dtype).view(b, n_kv, groups * n_q, -1)
    out = torch.matmul(probs, v.permute(0, 2, 1, 3))  # (B, K, G·L, D)
    out = out.view(b, n_kv, groups, n_q, d).permute(0, 3, 1, 2, 4)
    return out.reshape(b, n_q, n_heads * d)
