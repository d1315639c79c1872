"""Attention masks of the VLAs' token sequences (big_vision's prefix-LM masks, used by π0,
π0.5 and SmolVLA).

Each token carries a padding flag (is it real?) and an "autoregressive" flag ``ar``: a token
with ``ar = 1`` starts a new block; a token attends to every real token whose cumulative ``ar``
is ≤ its own. ``[0 0 0 1 1 1]`` is a prefix of 3 mutually attending tokens followed by 3 causal
ones; ``[1 0 0 1 0 0]`` two bidirectional blocks, the second seeing the first.

Shapes: B batch, N tokens.
"""

from __future__ import annotations

import torch
from torch import Tensor


def make_att_2d_masks(pad_masks: Tensor, ar_masks: Tensor) -> Tensor:
    """(B, N, N) bool: may query i attend to key j. ``pad_masks`` (B, N) bool (real token),
    ``ar_masks`` (B, N) int/bool/float (block starts)."""
    if ar_masks.ndim != 2 or pad_masks.ndim != 2:
        raise ValueError(
            f"masks must be (B, N); got pad {tuple(pad_masks.shape)}, ar {tuple(ar_masks.shape)}"
        )
    cumsum = torch.cumsum(ar_masks, dim=1)
    att = cumsum[:, None, :] <= cumsum[:, :, None]
    pad = pad_masks[:, None, :] * pad_masks[:, :, None]
    return att & pad


def positions(pad_masks: Tensor) -> Tensor:
    """(B, N) int64 position of each token: padding tokens do not advance it."""
    return torch.cumsum(pad_masks, dim=1) - 1


def suffix_masks(prefix_pad: Tensor, suffix_pad: Tensor, suffix_ar: Tensor) -> Tensor:
    """(B, N_suffix, N_prefix + N_suffix) bool: suffix queries see every real prefix token and
    the suffix tokens their own blocks allow (the mask of a step reusing the prefix's cache)."""
    b, n_suffix = suffix_pad.shape
    to_prefix = prefix_pad[:, None, :].expand(b, n_suffix, prefix_pad.shape[1])
    return torch.cat([to_prefix, make_att_2d_masks(suffix_pad, suffix_ar)], dim=2)
