"""Multi-head attention with ``nn.MultiheadAttention``'s parameters, on fused kernels.

The parameter names (``in_proj_weight``, ``in_proj_bias``, ``out_proj.weight``,
``out_proj.bias``) and the (sequence, batch, dim) layout are those of ``nn.MultiheadAttention``,
so checkpoints of models built on it load unchanged. The attention itself runs through
``F.scaled_dot_product_attention`` and never materialises averaged attention weights.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from lr_policies.layers.linear import Linear, linear


class MultiheadAttention(nn.Module):
    """Attention over (S, B, D) sequences; ``key_padding_mask`` (B, S_kv) is True at padding."""

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0) -> None:
        super().__init__()
        if embed_dim % num_heads:
            raise ValueError(f"embed_dim {embed_dim} is not divisible by num_heads {num_heads}")
        self.embed_dim = embed_dim
        self.num_heads = num_heads
        self.dropout = dropout
        self.in_proj_weight = nn.Parameter(torch.empty(3 * embed_dim, embed_dim))
        self.in_proj_bias = nn.Parameter(torch.empty(3 * embed_dim))
        self.out_proj = Linear(embed_dim, embed_dim)
        nn.init.xavier_uniform_(self.in_proj_weight)
        nn.init.zeros_(self.in_proj_bias)
        nn.init.zeros_(self.out_proj.bias)

    def project(self, x: Tensor, which: int) -> Tensor:
        """The query (0), key (1) or value (2) projection of ``x`` (S, B, D)."""
        d = self.embed_dim
        w = self.in_proj_weight[which * d : (which + 1) * d]
        b = self.in_proj_bias[which * d : (which + 1) * d]
        return linear(x, w, b)

    def attend(self, q: Tensor, k: Tensor, v: Tensor, key_padding_mask: Tensor | None) -> Tensor:
        """Attention over already-projected q (Sq, B, D), k and v (Skv, B, D) → (Sq, B, D)."""
        sq, b, d = q.shape
        skv = k.shape[0]
        h = self.num_heads
        # (S, B, D) -> (B, H, S, D/H)
        q = q.reshape(sq, b, h, d // h).permute(1, 2, 0, 3)
        k = k.reshape(skv, b, h, d // h).permute(1, 2, 0, 3)
        v = v.reshape(skv, b, h, d // h).permute(1, 2, 0, 3)
        mask = None
        if key_padding_mask is not None:
            mask = (~key_padding_mask).reshape(b, 1, 1, skv)
        out = F.scaled_dot_product_attention(
            q, k, v, attn_mask=mask, dropout_p=self.dropout if self.training else 0.0
        )
        out = out.permute(2, 0, 1, 3).reshape(sq, b, d)
        return self.out_proj(out)

    def forward(
        self, query: Tensor, key: Tensor, value: Tensor, key_padding_mask: Tensor | None = None
    ) -> Tensor:
        """query (Sq, B, D), key/value (Skv, B, D) → (Sq, B, D)."""
        if query is key:
            d = self.embed_dim
            qk = linear(query, self.in_proj_weight[: 2 * d], self.in_proj_bias[: 2 * d])
            q, k = qk.split(d, dim=-1)
        else:
            q, k = self.project(query, 0), self.project(key, 1)
        return self.attend(q, k, self.project(value, 2), key_padding_mask)
