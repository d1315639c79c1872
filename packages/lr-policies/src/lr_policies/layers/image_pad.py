"""Resizing camera frames to a VLM's square input without distortion (aspect kept, the rest
padded). Two conventions exist and checkpoints depend on theirs:

- :func:`resize_with_pad` (SmolVLA, LeRobot's ``resize_with_pad``): padding on the left and top;
- :func:`resize_with_pad_centered` (π0 / π0.5, openpi's ``resize_with_pad_torch``): centred
  padding, values clamped to [0, 1].

Both resize bilinearly without corner alignment; the resized size is ``int(side / ratio)`` with
``ratio = max(w / W, h / H)``.
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor


def _resized(h: int, w: int, height: int, width: int) -> tuple[int, int]:
    ratio = max(w / width, h / height)
    return int(h / ratio), int(w / ratio)


def resize_with_pad(img: Tensor, height: int, width: int, *, pad_value: float) -> Tensor:
    """(B, C, h, w) → (B, C, height, width), padded on the left and top with ``pad_value``."""
    if img.ndim != 4:
        raise ValueError(f"images must be (B, C, H, W), got {tuple(img.shape)}")
    h, w = img.shape[2:]
    if (h, w) == (height, width):
        return img
    rh, rw = _resized(h, w, height, width)
    out = F.interpolate(img, size=(rh, rw), mode="bilinear", align_corners=False)
    return F.pad(out, (max(0, width - rw), 0, max(0, height - rh), 0), value=pad_value)


def resize_with_pad_centered(img: Tensor, height: int, width: int) -> Tensor:
    """(B, C, h, w) float in [0, 1] → (B, C, height, width), clamped to [0, 1], black padding
    split evenly (the odd pixel at the bottom/right)."""
    if img.ndim != 4:
        raise ValueError(f"images must be (B, C, H, W), got {tuple(img.shape)}")
    h, w = img.shape[2:]
    rh, rw = _resized(h, w, height, width)
    out = F.interpolate(img, size=(rh, rw), mode="bilinear", align_corners=False)
    out = out.clamp(0.0, 1.0)
    top, extra_h = divmod(height - rh, 2)
    left, extra_w = divmod(width - rw, 2)
    return F.pad(out, (left, left + extra_w, top, top + extra_h), mode="constant", value=0.0)
