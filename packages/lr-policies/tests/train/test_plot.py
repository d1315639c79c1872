"""The loss curve: log scale, round ticks, a grid."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from lr_policies.train.plot import (
    GRID,
    LINE,
    Axis,
    linear_ticks,
    log_ticks,
    render_curve,
    tick_label,
)


def test_round_ticks():
    assert linear_ticks(0, 6000, 8) == [0, 1000, 2000, 3000, 4000, 5000, 6000]
    assert linear_ticks(0.13, 0.61) == [0.2, 0.3, 0.4, 0.5, 0.6]
    assert log_ticks(0.02, 3.0) == [0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0]
    assert log_ticks(1e-5, 10) == [1e-5, 1e-4, 1e-3, 0.01, 0.1, 1.0, 10.0]
    assert log_ticks(0.3, 0.9) == [0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]
    assert [tick_label(v) for v in (0.05, 2.0, 1000.0, 20000.0, 1e-5)] == [
        "0.05",
        "2",
        "1000",
        "2e+4",
        "1e-5",
    ]


def test_log_axis_spaces_decades_evenly():
    axis = Axis(0.01, 100, 0, 400, log=True)
    assert [axis(v) for v in (0.01, 0.1, 1, 10, 100)] == pytest.approx([0, 100, 200, 300, 400])


def _has(image: Image.Image, colour: tuple[int, int, int]) -> bool:
    return bool((np.asarray(image) == colour).all(axis=-1).any())


def _png(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG" and image.size == (800, 480)
    return image.convert("RGB")


def test_a_falling_loss_is_drawn_on_a_log_scale_with_a_grid():
    steps = list(range(0, 5001, 50))
    losses = [3.0 / (1 + s / 50) for s in steps]  # halves again over the second half
    image = _png(render_curve(steps, losses, title="training loss"))
    assert _has(image, LINE) and _has(image, GRID)
    # On a log scale the second half of training still spans many pixel rows (a linear axis
    # would give it 2 of them).
    pixels = np.asarray(image)
    rows = np.nonzero((pixels[:, 420:760] == LINE).all(axis=-1).any(axis=1))[0]
    assert rows.max() - rows.min() > 30


def test_values_that_are_not_all_positive_fall_back_to_linear():
    image = _png(render_curve([0, 1, 2], [1.0, 0.0, -1.0], title="t"))
    assert _has(image, LINE)
    assert _png(render_curve([], [], title="empty"))
