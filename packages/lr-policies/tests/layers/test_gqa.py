"""The prepared grouped-query attention and the RoPE rotation give LeRobot's eager attention's
and rotation's bits (what the VLA denoising steps rely on to stay bit-exact)."""

from __future__ import annotations

import pytest
import torch

from lr_policies.layers import gqa


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
@pytest.mark.parametrize(("n_q", "n_keys", "n_prefix"), [(50, 131, 81), (7, 20, 12)])
def test_prepared_attention_equals_masked_gqa_attention_bit_for_bit(
    dtype: torch.dtype, n_q: int, n_keys: int, n_prefix: int
) -> None:
    g = torch.Generator().manual_seed(0)
    q = torch.randn(2, n_q, 6, 16, generator=g).to(dtype)
    k = torch.randn(2, n_keys, 2, 16, generator=g).to(dtype)
    v = torch.randn(2, n_keys, 2, 16, generator=g).to(dtype)
    mask = torch.rand(2, n_q, n_keys, generator=g) > 0.3
    mask[1, 3] = False  # a fully masked row: a uniform average, as LeRobot's
    ref = gqa.masked_gqa_attention(q, k, v, mask, 0.25)
    bias = gqa.mask_bias(mask)
    assert bias.shape == (2, 1, 1, n_q, n_keys)
    whole = gqa.gqa_attention_prepared(q, gqa.keys_for_scores(k), gqa.values_for_mix(v), bias, 0.25)
    # a fixed prefix prepared once, the suffix's part appended at each step
    keys = torch.cat(
        [gqa.keys_for_scores(k[:, :n_prefix]), gqa.keys_for_scores(k[:, n_prefix:])], dim=-1
    )
    values = torch.cat(
        [gqa.values_for_mix(v[:, :n_prefix]), gqa.values_for_mix(v[:, n_prefix:])], dim=2
    )
    joined = gqa.gqa_attention_prepared(q, keys, values, bias, 0.25)
    assert ref.shape == (2, n_q, 6 * 16) and ref.dtype == dtype
    assert torch.equal(whole, ref)
    assert torch.equal(joined, ref)
    uniform = v[1].float().mean(0).repeat_interleave(3, dim=0).reshape(-1)  # head h: kv h // 3
    torch.testing.assert_close(ref[1, 3].float(), uniform, atol=2e-2, rtol=0)


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_rope_rotation_equals_apply_rope_bit_for_bit(dtype: torch.dtype) -> None:
    g = torch.Generator().manual_seed(1)
    x = torch.randn(2, 50, 15, 64, generator=g).to(dtype)
    positions = torch.arange(50)[None].expand(2, -1) + torch.tensor([[81], [60]])
    cos, sin = gqa.rope_tables(positions, 64)
    rotated = gqa.apply_rope_rotation(x, gqa.rope_rotation(cos, sin))
    assert rotated.dtype == dtype
    assert torch.equal(rotated, gqa.apply_rope(x, cos, sin))
