"""Line plots as PNG (Pillow only): the training-loss curve of ``lr train`` and the report.

The y axis is logarithmic when every value is positive (a loss falls by decades: on a linear
axis everything after the first tenth of training is a flat line), with ticks at round values
(1, 2, 5 × 10^k) and a grid; the x axis is linear with round ticks (steps).
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence

#: Plot colours (RGB): the curve, grid lines, axes and text.
LINE = (31, 119, 180)
GRID = (225, 225, 225)
INK = (0, 0, 0)


def linear_ticks(low: float, high: float, target: int = 6) -> list[float]:
    """Round tick values covering ``[low, high]``: multiples of 1, 2 or 5 × 10^k, about
    ``target`` of them."""
    if not (math.isfinite(low) and math.isfinite(high)) or high <= low:
        return [low]
    raw = (high - low) / max(1, target - 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    first = math.ceil(low / step - 1e-9) * step
    out = []
    value = first
    while value <= high + step * 1e-9:
        out.append(round(value, 12))
        value += step
    return out


def log_ticks(low: float, high: float) -> list[float]:
    """Round tick values in ``[low, high]`` (both > 0) for a log axis: the decades, plus 2 and 5
    × 10^k when the range spans few decades, plus every integer multiple when it spans less
    than one."""
    if low <= 0 or high <= low:
        return [low]
    decades = math.log10(high) - math.log10(low)
    mantissas = (1,) if decades > 4 else (1, 2, 5) if decades > 1 else tuple(range(1, 10))
    out = []
    for k in range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1):
        for m in mantissas:
            value = m * 10.0**k
            if low * (1 - 1e-9) <= value <= high * (1 + 1e-9):
                out.append(float(f"{value:.12g}"))
    if len(out) < 2:  # a very narrow range: linear round values
        out = [v for v in linear_ticks(low, high, 4) if v > 0]
    return out


def tick_label(value: float) -> str:
    """``0.001``, ``0.5``, ``2``, ``1000``, ``2e+04``: short and exact for round values."""
    if value == 0:
        return "0"
    if 1e-3 <= abs(value) < 1e4:
        return f"{value:.6g}"
    return f"{value:.0e}".replace("e-0", "e-").replace("e+0", "e+")


class Axis:
    """Maps data values to pixels along one axis (linear or logarithmic)."""

    def __init__(self, low: float, high: float, start_px: float, end_px: float, *, log: bool):
        self.log = log
        self.low = math.log10(low) if log else low
        self.high = math.log10(high) if log else high
        if self.high == self.low:
            self.high = self.low + 1
        self.start_px, self.end_px = start_px, end_px

    def __call__(self, value: float) -> float:
        v = math.log10(value) if self.log else value
        return self.start_px + (v - self.low) / (self.high - self.low) * (
            self.end_px - self.start_px
        )


def render_curve(
    xs: Sequence[float],
    ys: Sequence[float],
    *,
    title: str,
    size: tuple[int, int] = (800, 480),
    x_label: str = "step",
    log_y: bool | None = None,
) -> bytes:
    """A PNG line plot of ``ys`` against ``xs``: title, grid, round ticks; ``log_y`` (default:
    when every y is positive) puts y on a log scale."""
    from PIL import Image, ImageDraw

    width, height = size
    left, right, top, bottom = 72, 24, 34, 44
    x0, y0, x1, y1 = left, top, width - right, height - bottom
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    draw.text((left, 10), title, fill=INK)
    points = [(float(x), float(y)) for x, y in zip(xs, ys) if math.isfinite(y)]
    if points:
        log = all(y > 0 for _, y in points) if log_y is None else log_y
        if log and any(y <= 0 for _, y in points):
            log = False
        xmin, xmax = min(p[0] for p in points), max(p[0] for p in points)
        ymin, ymax = min(p[1] for p in points), max(p[1] for p in points)
        if xmax == xmin:
            xmin, xmax = xmin - 0.5, xmax + 0.5
        if log:
            # Pad to the round values around the data so the curve does not touch the frame.
            ymin, ymax = _round_down(ymin), _round_up(ymax)
            if ymax <= ymin:
                ymin, ymax = ymin / 2, ymax * 2
        else:
            pad = (ymax - ymin) * 0.05 or abs(ymax) * 0.05 or 1.0
            ymin, ymax = ymin - pad, ymax + pad
        x_axis = Axis(xmin, xmax, x0, x1, log=False)
        y_axis = Axis(ymin, ymax, y1, y0, log=log)
        y_ticks = log_ticks(ymin, ymax) if log else linear_ticks(ymin, ymax)
        x_ticks = [t for t in linear_ticks(xmin, xmax, 8) if xmin <= t <= xmax]
        for value in y_ticks:
            y = y_axis(value)
            draw.line((x0, y, x1, y), fill=GRID)
            draw.line((x0 - 4, y, x0, y), fill=INK)
            label = tick_label(value)
            draw.text((x0 - 8 - 6 * len(label), y - 6), label, fill=INK)
        for value in x_ticks:
            x = x_axis(value)
            draw.line((x, y0, x, y1), fill=GRID)
            draw.line((x, y1, x, y1 + 4), fill=INK)
            label = tick_label(value)
            draw.text((x - 3 * len(label), y1 + 8), label, fill=INK)
        pixels = [(x_axis(x), y_axis(y)) for x, y in points]
        if len(pixels) == 1:
            x, y = pixels[0]
            draw.ellipse((x - 2, y - 2, x + 2, y + 2), fill=LINE)
        else:
            draw.line(pixels, fill=LINE, width=2)
        if log:
            draw.text((x1 - 70, 10), "log scale", fill=INK)
    draw.rectangle((x0, y0, x1, y1), outline=INK)
    draw.text(((x0 + x1) // 2 - 3 * len(x_label), height - 18), x_label, fill=INK)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _round_down(value: float) -> float:
    """The largest 1, 2 or 5 × 10^k at or below ``value`` (> 0)."""
    k = math.floor(math.log10(value))
    return max(m * 10.0**k for m in (1, 2, 5) if m * 10.0**k <= value * (1 + 1e-12))


def _round_up(value: float) -> float:
    """The smallest 1, 2 or 5 × 10^k at or above ``value`` (> 0)."""
    k = math.floor(math.log10(value))
    return min(
        m * 10.0**j for j in (k, k + 1) for m in (1, 2, 5) if m * 10.0**j >= value * (1 - 1e-12)
    )
