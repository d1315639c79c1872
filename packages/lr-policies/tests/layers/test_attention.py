"""Fused multi-head attention equals torch's nn.MultiheadAttention on the same parameters."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from lr_policies.layers.attention import MultiheadAttention


@pytest.mark.parametrize("self_attention", [True, False])
def test_matches_torch_multihead_attention(self_attention: bool) -> None:
    torch.manual_seed(0)
    ref = nn.MultiheadAttention(32, 4).eval()
    ours = MultiheadAttention(32, 4).eval()
    ours.load_state_dict(ref.state_dict(), strict=True)
    q = torch.randn(7, 3, 32)
    kv = q if self_attention else torch.randn(11, 3, 32)
    mask = torch.zeros(3, kv.shape[0], dtype=torch.bool)
    mask[1, -3:] = True
    got = ours(q, kv, kv, key_padding_mask=mask)
    want = ref(q, kv, kv, key_padding_mask=mask)[0]
    assert (got - want).abs().max().item() < 1e-5


def test_dropout_applies_only_in_training() -> None:
    torch.manual_seed(0)
    attn = MultiheadAttention(16, 2, dropout=0.5)
    x = torch.randn(5, 2, 16)
    attn.eval()
    assert torch.equal(attn(x, x, x), attn(x, x, x))
    attn.train()
    assert not torch.equal(attn(x, x, x), attn(x, x, x))


def test_head_count_must_divide_width() -> None:
    with pytest.raises(ValueError, match="divisible"):
        MultiheadAttention(30, 4)
