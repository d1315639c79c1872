"""PI0 policy (``pi0``); the config imports no torch, the model needs the ``vla`` extra."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lr_core.lazy import lazy_exports

_EXPORTS: dict[str, str] = {
    "PI0Config": "lr_policies.pi0.config",
    "PI0Policy": "lr_policies.pi0.model",
    "make_pi0_pre_post_processors": "lr_policies.pi0.processor",
}

__all__, __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from lr_policies.pi0.config import PI0Config
    from lr_policies.pi0.model import PI0Policy
    from lr_policies.pi0.processor import make_pi0_pre_post_processors
