"""Self-attention of a transformers ViT tower (SigLIP, SmolVLM's vision model) on oneDNN.

transformers' SigLIP attention calls ``F.scaled_dot_product_attention``; on CPU its float32
flash kernel runs its blocks through the BLAS sgemm, which takes a generic path on some CPUs
(AMD's among them, see :mod:`lr_policies.layers.linear`). :func:`use_onednn_attention` computes
the same attention head by head as two oneDNN products around a softmax:

    q, k, v = x·W_qᵀ + b_q, ...               (N, H·D) each, N tokens, H heads of size D
    per head h:  P_h = softmax(scale · q_h k_hᵀ)    (N, N)
                 o_h = P_h v_h                      (N, D)
    out = [o_1 … o_H]·W_oᵀ + b_o              (N, W)

(Vaswani et al. 2017, eq. 1; transformers' ``SiglipAttention``). The scores of one head
(N² floats: 4 MiB for SmolVLM2's 1024 patches) are all that is held at a time. Results equal
SDPA's up to float32 summation order (≈4e-7 on outputs of order 1); with a power-of-two scale
(D = 64: 1/8) the scaling itself is exact.
"""

from __future__ import annotations

import functools
from typing import Any, Protocol, cast

import torch
from torch import Tensor, nn

from lr_policies.layers.linear import _mm_t, _use_onednn


class _ViTAttention(Protocol):
    """What this path reads of a transformers ViT attention module."""

    num_heads: int
    head_dim: int
    scale: float


def _attention_forward(
    attn: nn.Module, hidden_states: Tensor, attention_mask: Tensor | None = None, **kwargs: Any
) -> tuple[Tensor, Tensor | None]:
    """(B, N, W) → ((B, N, W), None), the module's own forward where this path does not apply:
    a mask (padded images), a gradient wanted, dropout in training, not float32 on CPU."""
    q_proj, k_proj, v_proj, out_proj = (
        getattr(attn, name) for name in ("q_proj", "k_proj", "v_proj", "out_proj")
    )
    dropout = float(getattr(attn, "dropout", 0.0)) if attn.training else 0.0
    wants_grad = torch.is_grad_enabled() and (
        hidden_states.requires_grad or q_proj.weight.requires_grad
    )
    if (
        attention_mask is not None
        or kwargs.get("output_attentions")  # the weights are wanted: only the module has them
        or wants_grad
        or dropout > 0.0
        or getattr(attn, "is_causal", False)
        or not _use_onednn(hidden_states, q_proj.weight)
    ):
        return type(attn).forward(attn, hidden_states, attention_mask, **kwargs)
    b, n, width = hidden_states.shape
    shape = cast(_ViTAttention, attn)
    heads, d = int(shape.num_heads), int(shape.head_dim)
    x = hidden_states.reshape(b * n, width)
    q = _mm_t(x, q_proj.weight, q_proj.bias).mul_(float(shape.scale))
    k = _mm_t(x, k_proj.weight, k_proj.bias)
    v = _mm_t(x, v_proj.weight, v_proj.bias)
    rows_out = []
    for i in range(b):
        rows = slice(i * n, (i + 1) * n)
        heads_out = []
        for h in range(heads):
            cols = slice(h * d, (h + 1) * d)
            scores = _mm_t(q[rows, cols], k[rows, cols])  # (N, N)
            probs = torch.softmax(scores, dim=-1)
            heads_out.append(_mm_t(probs, v[rows, cols].t()))  # (N, D)
        rows_out.append(torch.cat(heads_out, dim=1))  # (N, H·D)
    merged = rows_out[0] if b == 1 else torch.cat(rows_out, dim=0)
    return out_proj(merged.reshape(b, n, heads * d)), None


def _is_vit_attention(module: nn.Module) -> bool:
    names = ("q_proj", "k_proj", "v_proj", "out_proj")
    return all(isinstance(getattr(module, name, None), nn.Linear) for name in names) and all(
        hasattr(module, a) for a in ("num_heads", "head_dim", "scale")
    )


def use_onednn_attention(module: nn.Module) -> int:
    """Compute every transformers ViT self-attention inside ``module`` (modules with
    ``q_proj``/``k_proj``/``v_proj``/``out_proj``, ``num_heads``, ``head_dim`` and ``scale``:
    ``SiglipAttention``, ``SmolVLMVisionAttention``) head by head on oneDNN for float32 CPU
    inference without a mask; parameters, names and state dict are unchanged, every other case
    takes the module's own forward. Returns how many were switched."""
    count = 0
    for child in module.modules():
        if _is_vit_attention(child):
            child.forward = functools.partial(_attention_forward, child)  # type: ignore[method-assign]
            count += 1
    return count


def _contiguous_output(module: nn.Module, args: Any, output: Tensor) -> Tensor:
    return output.contiguous()


def make_patch_embeddings_contiguous(module: nn.Module) -> int:
    """Make the output of every transformers ViT patch embedding inside ``module``
    (``SiglipVisionEmbeddings``, ``SmolVLMVisionEmbeddings``) contiguous (a forward hook).

    Their ``patch_embeds.flatten(2).transpose(1, 2) + position_embedding`` hands the encoder a
    transposed (B, N, W) layout that every residual add keeps, so each LayerNorm and product of
    the tower copied its input first (~25 ms of a 512×512 SmolVLA chunk on CPU). The values are
    unchanged. Returns how many were hooked."""
    count = 0
    for child in module.modules():
        if type(child).__name__.endswith("VisionEmbeddings"):
            child.register_forward_hook(_contiguous_output)
            count += 1
    return count
