"""Sinusoidal embeddings: the formulas of the papers, and the 2-D cache."""

from __future__ import annotations

import math

import torch

from lr_policies.layers.positional import (
    SinusoidalPositionEmbedding2d,
    SinusoidalStepEmbedding,
    sinusoidal_table,
)


def test_1d_table_formula() -> None:
    table = sinusoidal_table(5, 8)
    assert table.shape == (5, 8) and table.dtype == torch.float32
    pos, i = 3, 2  # channel 2i = 4 is sin, 2i+1 = 5 is cos, of pos / 10000^(2i/d)
    angle = pos / 10000 ** (2 * i / 8)
    assert math.isclose(table[pos, 4].item(), math.sin(angle), rel_tol=1e-6)
    assert math.isclose(table[pos, 5].item(), math.cos(angle), rel_tol=1e-6)


def test_2d_embedding_shape_values_and_cache() -> None:
    emb = SinusoidalPositionEmbedding2d(8)
    x = torch.zeros(2, 3, 4, 5)
    out = emb(x)
    assert out.shape == (1, 16, 4, 5)
    # first channel: sin of the row position normalised to (0, 2π]: row 3 of 4 → 2π·4/4 ≈ 2π
    assert abs(out[0, 0, 3, 0].item() - math.sin(2 * math.pi * 4 / (4 + 1e-6))) < 1e-5
    assert torch.equal(emb(x), out)
    assert len(emb._cache) == 1
    emb(torch.zeros(1, 3, 6, 5))
    assert len(emb._cache) == 2


def test_step_embedding() -> None:
    emb = SinusoidalStepEmbedding(16)(torch.tensor([0, 10]))
    assert emb.shape == (2, 16)
    assert torch.equal(emb[0, :8], torch.zeros(8)) and torch.equal(emb[0, 8:], torch.ones(8))
    f1 = math.exp(-math.log(10000) / 7)
    assert abs(emb[1, 1].item() - math.sin(10 * f1)) < 1e-5
