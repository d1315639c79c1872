"""PI05 policy (``pi05``); the config imports no torch, the model needs the ``vla`` extra."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lr_core.lazy import lazy_exports

_EXPORTS: dict[str, str] = {
    "PI05Config": "lr_policies.pi05.config",
    "PI05Policy": "lr_policies.pi05.model",
    "make_pi05_pre_post_processors": "lr_policies.pi05.processor",
}

__all__, __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from lr_policies.pi05.config import PI05Config
    from lr_policies.pi05.model import PI05Policy
    from lr_policies.pi05.processor import make_pi05_pre_post_processors
