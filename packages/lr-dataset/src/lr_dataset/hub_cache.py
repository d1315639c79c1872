"""Datasets opened by repo id alone come from the Hugging Face Hub, as in LeRobot 0.6.1.

``LeRobotDataset("user/name")`` (no ``root``) reads ``$HF_LEROBOT_HOME/user/name`` when a
dataset is there (one recorded on this machine); otherwise it downloads from the Hub into
LeRobot's revision-safe cache, ``$HF_LEROBOT_HOME/hub`` (huggingface_hub's cache layout,
``datasets--user--name/snapshots/<commit>/``), exactly where LeRobot puts it, so both tools
share downloads:

1. the revision: ``revision`` when given (a tag, branch or commit); else the ``v3.0`` tag or
   the highest ``v3.x`` tag (LeRobot's ``get_safe_version``); a repo with only ``v2.x`` tags
   is an error that says to convert it;
2. ``meta/`` first (:func:`fetch_metadata`), then only the data and video files the selected
   episodes need (:func:`fetch_files`; no videos with ``download_videos=False``), both into the
   same snapshot folder (the commit the metadata came from, so they always match).

Files already in the cache are not downloaded again. ``HF_ENDPOINT`` (read at each call) or
``endpoint=`` selects another Hub, :class:`lr_dataset.local_hub.LocalHub` in tests;
``HF_HUB_OFFLINE=1`` reads the cache only. Every failure is a ``DatasetFormatError`` naming the
repo, the revision and the endpoint.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lr_core.paths import lerobot_home
from lr_dataset import layout
from lr_dataset.errors import DatasetFormatError

DEFAULT_ENDPOINT = "https://huggingface.co"


def hub_cache_dir() -> Path:
    """``$HF_LEROBOT_HOME/hub``: LeRobot's ``HF_LEROBOT_HUB_CACHE``."""
    return lerobot_home() / "hub"


@dataclass(frozen=True)
class HubSource:
    """Where a dataset's files came from: the snapshot of ``commit`` of ``repo_id``."""

    repo_id: str
    commit: str
    endpoint: str | None
    token: str | bool | None


def hub_endpoint(endpoint: str | None = None) -> str | None:
    """``endpoint``, else ``$HF_ENDPOINT`` read now (huggingface_hub reads it once, at import),
    else ``None`` (huggingface_hub's default, https://huggingface.co)."""
    return endpoint or os.environ.get("HF_ENDPOINT") or None


def _version(tag: str) -> tuple[int, int] | None:
    m = re.fullmatch(r"v(\d+)\.(\d+)", tag)
    return (int(m[1]), int(m[2])) if m else None


def resolve_revision(api: Any, repo_id: str) -> str:
    """The tag to read: ``v3.0``, else the highest ``v3.x`` tag (LeRobot's rule)."""
    tags = [t.name for t in api.list_repo_refs(repo_id, repo_type="dataset").tags]
    target = _version(layout.CODEBASE_VERSION)
    assert target is not None
    versions = {t: v for t in tags if (v := _version(t)) is not None}
    if layout.CODEBASE_VERSION in versions:
        return layout.CODEBASE_VERSION
    same_major = [t for t, v in versions.items() if v[0] == target[0] and v <= target]
    if same_major:
        return max(same_major, key=lambda t: versions[t])
    older = sorted(t for t, v in versions.items() if v[0] < target[0])
    hint = (
        f"; it has {older}: download that revision and convert it with 'lr dataset convert'"
        if older
        else ""
    )
    raise DatasetFormatError(
        f"dataset repo {repo_id!r} has no {layout.CODEBASE_VERSION} tag (tags: {tags}){hint}"
    )


def _snapshot(
    repo_id: str,
    revision: str,
    *,
    allow_patterns: Sequence[str] | str | None,
    ignore_patterns: Sequence[str] | str | None = None,
    endpoint: str | None,
    token: str | bool | None,
) -> Path:
    from huggingface_hub import snapshot_download

    return Path(
        snapshot_download(
            repo_id,
            repo_type="dataset",
            revision=revision,
            cache_dir=hub_cache_dir(),
            allow_patterns=allow_patterns,
            ignore_patterns=ignore_patterns,
            endpoint=endpoint,
            token=token,
        )
    )


def _explain(exc: Exception, repo_id: str, revision: str | None, endpoint: str | None) -> str:
    where = endpoint or DEFAULT_ENDPOINT
    rev = f" at revision {revision!r}" if revision else ""
    return (
        f"cannot fetch dataset {repo_id!r}{rev} from the Hub ({where}): "
        f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}. A local dataset "
        f"is read from $HF_LEROBOT_HOME/{repo_id}, or from the folder given as root (--root on "
        f"the command line)"
    )


def fetch_metadata(
    repo_id: str,
    *,
    revision: str | None = None,
    endpoint: str | None = None,
    token: str | bool | None = None,
) -> tuple[Path, HubSource]:
    """Download ``meta/`` of ``repo_id`` into the cache; return the snapshot folder and where it
    came from (see the module docstring for the revision)."""
    from huggingface_hub import HfApi
    from huggingface_hub.errors import HFValidationError

    endpoint = hub_endpoint(endpoint)
    rev = revision
    try:
        if rev is None or _version(rev) is not None:
            offline = os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes")
            if not offline:
                rev = resolve_revision(HfApi(endpoint=endpoint, token=token), repo_id)
            rev = rev or layout.CODEBASE_VERSION
        root = _snapshot(repo_id, rev, allow_patterns="meta/*", endpoint=endpoint, token=token)
    except DatasetFormatError:
        raise
    except HFValidationError as exc:
        raise DatasetFormatError(
            f"{repo_id!r} is neither a dataset folder nor a Hub repo id ('user/name'): {exc}"
        ) from exc
    except Exception as exc:  # huggingface_hub's HTTP, offline and cache errors
        raise DatasetFormatError(_explain(exc, repo_id, rev, endpoint)) from exc
    if not (root / layout.INFO_PATH).exists():
        raise DatasetFormatError(
            f"dataset repo {repo_id!r} (revision {rev!r}) has no {layout.INFO_PATH}: not a "
            f"LeRobot v3.0 dataset"
        )
    return root, HubSource(repo_id, root.name, endpoint, token)


def fetch_files(source: HubSource, files: Sequence[str]) -> Path:
    """Download ``files`` (paths relative to the dataset root) of the snapshot ``source`` into
    the cache, skipping those already there; return the snapshot folder."""
    try:
        return _snapshot(
            source.repo_id,
            source.commit,
            allow_patterns=list(files),
            endpoint=source.endpoint,
            token=source.token,
        )
    except Exception as exc:
        raise DatasetFormatError(
            _explain(exc, source.repo_id, source.commit, source.endpoint)
        ) from exc
