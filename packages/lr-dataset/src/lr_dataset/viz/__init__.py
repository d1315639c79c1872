"""Seeing a stored episode: in rerun (:mod:`lr_dataset.viz.rerun_view`, the ``viz`` extra) or in
a self-contained web page served from this computer (:mod:`lr_dataset.viz.web`, nothing to
install). ``lr dataset viz`` is the command (:mod:`lr_dataset.viz.cli`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lr_core.lazy import lazy_exports

_EXPORTS: dict[str, str] = {
    "log_episode": "lr_dataset.viz.rerun_view",
    "episode_payload": "lr_dataset.viz.web",
    "serve_viewer": "lr_dataset.viz.web",
}

__all__, __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

if TYPE_CHECKING:
    from lr_dataset.viz.rerun_view import log_episode
    from lr_dataset.viz.web import episode_payload, serve_viewer
