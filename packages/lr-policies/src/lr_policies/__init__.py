"""lr-policies: ACT and Diffusion Policy in pure PyTorch, processors, training.

Names resolve lazily, so ``import lr_policies`` does not import torch.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS: dict[str, str] = {
    "PreTrainedPolicy": "lr_policies.pretrained",
    "make_policy": "lr_policies.pretrained",
    "CheckpointError": "lr_policies.errors",
    "PolicyError": "lr_policies.errors",
}

__all__ = sorted([*_EXPORTS, "__version__"])


def __getattr__(name: str) -> Any:
    if name == "__version__":
        from importlib.metadata import version

        return version("lr-policies")
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'lr_policies' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from lr_policies.errors import CheckpointError, PolicyError
    from lr_policies.pretrained import PreTrainedPolicy, make_policy
