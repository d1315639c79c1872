"""The policy server (``lr serve``): names resolve lazily; lr-policies/torch load only with a
real checkpoint (``lr-inference[server]``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lr_core.lazy import lazy_exports

_EXPORTS: dict[str, str] = {
    "PolicyServer": "lr_inference.server.server",
    "PolicyServerConfig": "lr_inference.server.config",
    "ServerKeysConfig": "lr_inference.server.config",
    "ServedPolicy": "lr_inference.server.served",
    "PolicyDescription": "lr_inference.server.served",
    "StageStamps": "lr_inference.server.served",
    "PolicyLoader": "lr_inference.server.served",
    "load_lr_policy": "lr_inference.server.lr_policy",
}

__all__, __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

if TYPE_CHECKING:  # pragma: no cover
    from lr_inference.server.config import PolicyServerConfig, ServerKeysConfig
    from lr_inference.server.lr_policy import load_lr_policy
    from lr_inference.server.served import (
        PolicyDescription,
        PolicyLoader,
        ServedPolicy,
        StageStamps,
    )
    from lr_inference.server.server import PolicyServer
