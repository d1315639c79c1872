"""SmolVLA policy (``smolvla``); the config imports no torch, the model needs the ``vla`` extra."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lr_core.lazy import lazy_exports

_EXPORTS: dict[str, str] = {
    "SmolVLAConfig": "lr_policies.smolvla.config",
    "SmolVLAPolicy": "lr_policies.smolvla.model",
    "make_smolvla_pre_post_processors": "lr_policies.smolvla.processor",
}

__all__, __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from lr_policies.smolvla.config import SmolVLAConfig
    from lr_policies.smolvla.model import SmolVLAPolicy
    from lr_policies.smolvla.processor import make_smolvla_pre_post_processors
