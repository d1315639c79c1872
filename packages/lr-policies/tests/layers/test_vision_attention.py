"""The oneDNN per-head attention equals transformers' own ViT attention, and steps aside where
it does not apply (a mask, a gradient wanted)."""

from __future__ import annotations

import pytest
import torch

from lr_policies.layers.linear import _onednn_op
from lr_policies.layers.vision_attention import use_onednn_attention

pytestmark = pytest.mark.skipif(_onednn_op() is False, reason="no oneDNN in this torch build")


def _tower():  # type: ignore[no-untyped-def]
    from transformers import SiglipVisionConfig, SiglipVisionModel

    config = SiglipVisionConfig(
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        image_size=32,
        patch_size=4,
    )
    config._attn_implementation = "sdpa"
    torch.manual_seed(0)
    return SiglipVisionModel(config).eval()


def test_towers_output_equals_transformers_sdpa_attention_and_the_state_dict_is_unchanged() -> None:
    tower = _tower()
    pixels = torch.randn(2, 3, 32, 32)
    keys = set(tower.state_dict())
    with torch.no_grad():
        ref = tower(pixel_values=pixels).last_hidden_state
    assert use_onednn_attention(tower) == 2
    assert set(tower.state_dict()) == keys
    with torch.no_grad():
        ours = tower(pixel_values=pixels).last_hidden_state
    assert ours.shape == ref.shape == (2, 64, 64)
    torch.testing.assert_close(ours, ref, atol=2e-5, rtol=0)


def test_a_mask_or_a_gradient_takes_the_modules_own_forward(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from lr_policies.layers import vision_attention

    tower = _tower()
    use_onednn_attention(tower)
    calls = []
    real = vision_attention._mm_t
    monkeypatch.setattr(vision_attention, "_mm_t", lambda *a, **k: calls.append(1) or real(*a, **k))
    attn = tower.vision_model.encoder.layers[0].self_attn
    x = torch.randn(1, 16, 64)
    mask = torch.zeros(1, 1, 16, 16)
    mask[..., -4:] = torch.finfo(torch.float32).min
    with torch.no_grad():
        masked, _ = attn(x, attention_mask=mask)
        ref, _ = type(attn).forward(attn, x, attention_mask=mask)
    assert calls == [] and torch.equal(masked, ref)
    # a gradient wanted: autograd's path, whose gradients reach the input
    x.requires_grad_(True)
    out, _ = attn(x)
    out.sum().backward()
    assert calls == [] and x.grad is not None
    with torch.no_grad():
        attn(x.detach())
    assert calls  # inference without a mask: the oneDNN products
