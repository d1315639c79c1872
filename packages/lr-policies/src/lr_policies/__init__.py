"""lr-policies: ACT and Diffusion Policy in pure PyTorch, the SmolVLA / π0 / π0.5 VLAs, processors,
training.

Names resolve lazily, so ``import lr_policies`` does not import torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lr_core.lazy import lazy_exports

_EXPORTS: dict[str, str] = {
    "PreTrainedPolicy": "lr_policies.pretrained",
    "make_policy": "lr_policies.pretrained",
    "CheckpointError": "lr_policies.errors",
    "PolicyError": "lr_policies.errors",
}

__all__, __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, distribution="lr-policies")


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from lr_policies.errors import CheckpointError, PolicyError
    from lr_policies.pretrained import PreTrainedPolicy, make_policy
