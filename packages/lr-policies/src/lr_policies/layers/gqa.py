"""Rotary position embedding and masked grouped-query attention, as the VLA backbones use them.

Shapes: B batch, L / S query and key lengths, H query heads, K key/value heads (H = K·G),
D head size. Tensors are (B, L, H, D) as the projections produce them.

The attention is LeRobot's "eager" one (scores in float32, masked entries set to the float32
minimum rather than −∞, so a fully masked row, e.g. a padding token's, becomes a uniform average
instead of NaN), computed per key/value head with its G query heads stacked, which avoids
copying K and V G times.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import torch
from torch import Tensor, nn


class DecoderAttention(Protocol):
    """The projections of a transformers Llama/Gemma-style ``self_attn`` module."""

    q_proj: nn.Linear
    k_proj: nn.Linear
    v_proj: nn.Linear
    o_proj: nn.Linear


class DecoderMLP(Protocol):
    """A decoder layer's gated MLP: (B, N, W) -> (B, N, W)."""

    up_proj: nn.Linear

    def __call__(self, x: Tensor) -> Tensor: ...


class DecoderLayer(Protocol):
    """What the VLA backbones read of one transformers decoder layer (they run its pieces
    themselves, to attend over the VLM's and the expert's tokens together)."""

    self_attn: DecoderAttention
    mlp: DecoderMLP
    input_layernorm: nn.Module
    post_attention_layernorm: nn.Module


class DecoderStack(Protocol):
    """A transformers decoder model (``GemmaModel``, SmolVLM's text model) as the VLA backbones
    use it: its layers (an ``nn.ModuleList``), final norm and token embedding."""

    layers: Sequence[DecoderLayer]
    norm: nn.Module
    embed_tokens: nn.Embedding

    def get_input_embeddings(self) -> nn.Module: ...


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


def rope_rotation(cos: Tensor, sin: Tensor) -> tuple[Tensor, Tensor]:
    """The tables of :func:`rope_tables` (B, L, 1, D/2) as full-width ``([cos, cos],
    [−sin, sin])`` (B, L, 1, D), for :func:`apply_rope_rotation`."""
    return torch.cat([cos, cos], dim=-1), torch.cat([-sin, sin], dim=-1)


def apply_rope_rotation(x: Tensor, rotation: tuple[Tensor, Tensor]) -> Tensor:
    """:func:`apply_rope` with tables from :func:`rope_rotation`, in fewer operations:
    ``x·[cos, cos] + [x2, x1]·[−sin, sin]``. Bit for bit :func:`apply_rope`'s result
    (``x1·cos + x2·(−sin)`` is ``x1·cos − x2·sin`` exactly in IEEE arithmetic)."""
    cos2, sin2 = rotation
    dtype = x.dtype
    x = x.to(torch.float32)
    half = x.shape[-1] // 2
    swapped = torch.cat([x[..., half:], x[..., :half]], dim=-1)
    return (x * cos2 + swapped * sin2).to(dtype)


def mask_bias(mask: Tensor) -> Tensor:
    """(B, L, S) bool → (B, 1, 1, L, S) float32 additive mask: 0 where attention is allowed, the
    float32 minimum elsewhere. Adding it to scores gives exactly what LeRobot's
    ``masked_fill(~mask, finfo.min)`` gives (for |score| < 1e31, x + min rounds to min)."""
    bias = torch.zeros(mask.shape, dtype=torch.float32, device=mask.device)
    return bias.masked_fill_(~mask, torch.finfo(torch.float32).min)[:, None, None]


def keys_for_scores(k: Tensor) -> Tensor:
    """Keys (B, S, K, D) → (B, K, D, S) float32, the layout :func:`gqa_attention_prepared`
    multiplies queries with (prepare a fixed prefix's keys once, not at every step)."""
    return k.permute(0, 2, 3, 1).to(torch.float32, memory_format=torch.contiguous_format)


def values_for_mix(v: Tensor) -> Tensor:
    """Values (B, S, K, D) → (B, K, S, D) contiguous, in ``v``'s dtype."""
    return v.permute(0, 2, 1, 3).contiguous()


def gqa_attention_prepared(
    q: Tensor, keys: Tensor, values: Tensor, bias: Tensor, scale: float
) -> Tensor:
    """:func:`masked_gqa_attention` on prepared operands: q (B, L, H, D), ``keys`` (B, K, D, S)
    from :func:`keys_for_scores`, ``values`` (B, K, S, D) from :func:`values_for_mix`, ``bias``
    (B, 1, 1, L, S) from :func:`mask_bias`; returns (B, L, H·D) in the values' dtype. The same
    float32 scores and softmax, with the layouts and the mask made once per chunk instead of at
    every denoising step."""
    with torch.autocast(q.device.type, enabled=False):
        b, n_q, n_heads, d = q.shape
        n_kv = keys.shape[1]
        groups = n_heads // n_kv
        qg = q.reshape(b, n_q, n_kv, groups, d).permute(0, 2, 3, 1, 4)
        qg = qg.to(torch.float32, memory_format=torch.contiguous_format)
        scores = torch.matmul(qg.reshape(b, n_kv, groups * n_q, d), keys).mul_(scale)
        scores = scores.view(b, n_kv, groups, n_q, -1).add_(bias)
        probs = torch.softmax(scores, dim=-1).to(values.dtype).view(b, n_kv, groups * n_q, -1)
        out = torch.matmul(probs, values)  # (B, K, G·L, D)
        return out.view(b, n_kv, groups, n_q, d).permute(0, 3, 1, 2, 4).reshape(b, n_q, -1)


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
