"""lr-inference: async inference — a torch-free robot client and a policy server."""

from __future__ import annotations

from lr_core.lazy import lazy_exports

_EXPORTS: dict[str, str] = {}

__all__, __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, distribution="lr-inference")
