"""Dataset roots given as fsspec URLs (``http://``, ``https://``, ``hf://``, ``s3://``...).

:func:`materialize` copies what a reader needs into a local cache and returns that folder,
which the normal (memory-mapped, local) reader then opens:

1. ``meta/info.json``, ``meta/stats.json``, ``meta/tasks.parquet`` and the
   ``meta/episodes/chunk-XXX/file-XXX.parquet`` files (found by probing the numbered paths, so
   the server needs no directory listing) are fetched on every call - they are small and change
   when episodes are added;
2. the data parquets and MP4s the episodes reference are fetched once and reused while their
   size on the server is unchanged.

Downloads go to a temporary name and are renamed when complete, so an interrupted download is
never taken for a cached file. ``hf://datasets/<user>/<name>@<revision>/`` goes through
huggingface_hub's ``HfFileSystem``; ``http://`` through fsspec's aiohttp file system.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Any

from lr_core.fileio import atomic_path
from lr_core.paths import lerobot_home
from lr_dataset import layout
from lr_dataset.errors import DatasetFormatError

logger = logging.getLogger(__name__)


def is_url(root: object) -> bool:
    """True when ``root`` is a URL (``scheme://...``) rather than a local path."""
    return isinstance(root, str) and "://" in root and not root.startswith("file://")


def cache_dir_for(url: str) -> Path:
    """``$HF_LEROBOT_HOME/remote/<hash of url>``: where :func:`materialize` keeps a URL's files."""
    digest = hashlib.sha256(url.rstrip("/").encode()).hexdigest()[:16]
    return lerobot_home() / "remote" / digest


class RemoteDataset:
    """A dataset root on an fsspec file system, mirrored file by file into ``cache``."""

    def __init__(self, url: str, cache: Path | None = None, **storage_options: Any) -> None:
        import fsspec

        self.url = url.rstrip("/")
        self.fs, self.base = fsspec.core.url_to_fs(self.url, **storage_options)
        self.cache = Path(cache) if cache is not None else cache_dir_for(self.url)
        self.downloaded: list[str] = []
        self.reused: list[str] = []

    def _remote(self, relative: str) -> str:
        return f"{self.base.rstrip('/')}/{relative}"

    def exists(self, relative: str) -> bool:
        """Whether ``relative`` exists on the server."""
        try:
            return bool(self.fs.exists(self._remote(relative)))
        except (OSError, ValueError):
            return False

    def fetch(self, relative: str, *, refresh: bool = False) -> Path:
        """The local copy of ``relative`` (downloaded unless cached with the same size)."""
        local = self.cache / relative
        if local.exists() and not refresh:
            try:
                size = self.fs.info(self._remote(relative)).get("size")
            except FileNotFoundError:
                size = None
            if size is not None and int(size) == local.stat().st_size:
                self.reused.append(relative)
                return local
        try:
            with atomic_path(local) as tmp:
                self.fs.get_file(self._remote(relative), str(tmp))
        except FileNotFoundError as exc:
            raise DatasetFormatError(f"{self.url}/{relative} not found") from exc
        self.downloaded.append(relative)
        return local

    def materialize(self, *, download_videos: bool = True) -> Path:
        """Fetch the metadata and every file it references; return the local root."""
        from lr_dataset import episodes as episodes_io
        from lr_dataset.info import DatasetInfo

        if not self.exists(layout.INFO_PATH):
            raise DatasetFormatError(
                f"{self.url}/{layout.INFO_PATH} not found: not a LeRobot v3.0 dataset URL"
            )
        self.fetch(layout.INFO_PATH, refresh=True)
        for optional in (layout.STATS_PATH, layout.TASKS_PATH):
            if self.exists(optional):
                self.fetch(optional, refresh=True)
        info = DatasetInfo.load(self.cache)
        # episodes files: chunk-000/file-000, then the next numbers until one is missing
        episodes_dir = self.cache / layout.EPISODES_DIR
        stale = set(episodes_dir.rglob("*.parquet")) if episodes_dir.exists() else set()
        loc = (0, 0)
        while True:
            relative = layout.EPISODES_PATH.format(chunk_index=loc[0], file_index=loc[1])
            if not self.exists(relative):
                break
            stale.discard(self.fetch(relative, refresh=True))
            loc = layout.next_file(*loc, info.chunks_size)
        for path in stale:  # episodes files the server no longer has
            path.unlink()
        episodes = episodes_io.load(self.cache)
        if episodes is None:
            return self.cache
        wanted: set[str] = set()
        for c, f in zip(episodes.column("data/chunk_index"), episodes.column("data/file_index")):
            wanted.add(info.data_path.format(chunk_index=int(c), file_index=int(f)))
        if download_videos and info.video_path:
            for key in info.video_keys:
                chunks = episodes.column(f"videos/{key}/chunk_index")
                files = episodes.column(f"videos/{key}/file_index")
                for c, f in zip(chunks, files):
                    wanted.add(
                        info.video_path.format(video_key=key, chunk_index=int(c), file_index=int(f))
                    )
        for relative in sorted(wanted):
            self.fetch(relative)
        logger.info(
            "%s: %d files downloaded, %d reused from %s",
            self.url,
            len(self.downloaded),
            len(self.reused),
            self.cache,
        )
        return self.cache


def materialize(url: str, cache: Path | None = None, **storage_options: Any) -> Path:
    """Mirror the dataset at ``url`` into ``cache`` (default :func:`cache_dir_for`); return it."""
    return RemoteDataset(url, cache, **storage_options).materialize()
