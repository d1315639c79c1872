"""A byte-budgeted local cache of remote files, holding only the byte ranges in use.

Each remote file that resident episodes need has one *sparse* local copy of its full size in
which only those ranges are written (an MP4's header and the samples of its resident episodes, a
parquet file's footer and the row groups being read). Readers (PyAV, pyarrow) open the local copy
like any file and touch only what was fetched.

v3.0 packs many episodes into one file, so ranges are reference-counted by *owner* (one owner per
admitted episode): :meth:`RangeCache.release` drops an owner's ranges, punches the bytes nobody
else needs out of the file (``fallocate(PUNCH_HOLE)``; where the file system cannot, they stay
until the file goes) and deletes a file as soon as it has no owner left. Ranges are fetched once
however many owners ask for them, concurrently by several threads, never twice at the same time.

The budget: :attr:`RangeCache.used_bytes` (bytes written and not punched) plus bytes in flight
may not grow past ``budget_bytes`` for an *optional* acquisition (a look-ahead prefetch), which
raises :class:`NoRoom` instead. A *required* one (an episode the pool already holds) first asks
``make_room()`` to give back look-ahead holds, then proceeds even over the budget: the order of
samples never depends on timing, so it cannot wait for room that only its own consumer can free;
it warns once when it goes over. :meth:`RangeCache.stats` reports the use.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import logging
import os
import shutil
import threading
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

Range = tuple[int, int]  # [start, end) in bytes
BLOCK = 4096


class NoRoom(Exception):
    """An optional acquisition does not fit in the budget now."""


# ---------------------------------------------------------------------------------- ranges
def merge(ranges: Iterable[Range]) -> list[Range]:
    """Sorted, non-overlapping, non-touching union of ``ranges`` (empty ones dropped)."""
    out: list[list[int]] = []
    for a, b in sorted(r for r in ranges if r[1] > r[0]):
        if out and a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return [(a, b) for a, b in out]


def subtract(ranges: Iterable[Range], minus: Iterable[Range]) -> list[Range]:
    """Parts of ``ranges`` not covered by ``minus``."""
    cut = merge(minus)
    out: list[Range] = []
    for a, b in merge(ranges):
        start = a
        for c, d in cut:
            if d <= start or c >= b:
                continue
            if c > start:
                out.append((start, c))
            start = max(start, d)
            if start >= b:
                break
        if start < b:
            out.append((start, b))
    return out


def total(ranges: Iterable[Range]) -> int:
    """Bytes covered by (non-overlapping) ``ranges``."""
    return sum(b - a for a, b in ranges)


# ---------------------------------------------------------------------------------- punching
_FALLOC_FL_KEEP_SIZE = 0x01
_FALLOC_FL_PUNCH_HOLE = 0x02
_fallocate: Any = None


def punch_hole(fd: int, start: int, length: int) -> bool:
    """Free ``length`` bytes at ``start`` of an open file (reads then return zeros); False
    where the platform or file system cannot."""
    global _fallocate
    if _fallocate is None:
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
            fn = libc.fallocate
            fn.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int64, ctypes.c_int64]
            fn.restype = ctypes.c_int
            _fallocate = fn
        except (OSError, AttributeError):
            _fallocate = False
    if not _fallocate:
        return False
    mode = _FALLOC_FL_PUNCH_HOLE | _FALLOC_FL_KEEP_SIZE
    if _fallocate(fd, mode, start, length) == 0:
        return True
    if ctypes.get_errno() in (errno.EOPNOTSUPP, errno.ENOSYS, errno.EINVAL):
        return False
    raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))


# ---------------------------------------------------------------------------------- cache
@dataclass
class _File:
    path: Path
    size: int
    fd: int
    present: list[Range] = field(default_factory=list)
    inflight: list[Range] = field(default_factory=list)
    holds: dict[Hashable, list[Range]] = field(default_factory=dict)
    generation: int = 0


@dataclass
class CacheStats:
    """Use of a :class:`RangeCache` (bytes)."""

    budget_bytes: int
    used_bytes: int
    peak_bytes: int
    fetched_bytes: int
    files: int
    files_deleted: int
    over_budget: int  # writes after which the bytes held were past the budget


class RangeCache:
    """Sparse local copies of remote files (see the module docstring).

    ``fetch(relative, start, end) -> bytes`` reads remote bytes (with retries); ``size(relative)``
    gives a file's size. Thread-safe.
    """

    def __init__(
        self,
        directory: Path,
        budget_bytes: int,
        fetch: Callable[[str, int, int], bytes],
        size: Callable[[str], int],
        make_room: Callable[[], bool] | None = None,
    ) -> None:
        if budget_bytes <= 0:
            raise ValueError(f"the cache budget must be > 0 bytes, got {budget_bytes}")
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.budget_bytes = int(budget_bytes)
        self._fetch = fetch
        self._size = size
        self.make_room = make_room
        self._sizes: dict[str, int] = {}
        self._files: dict[str, _File] = {}
        self._cond = threading.Condition()
        self._generation = 0
        self._punch = True
        self.used_bytes = 0
        self.peak_bytes = 0
        self.fetched_bytes = 0
        self.files_deleted = 0
        self.over_budget = 0
        self.deleted_paths: list[Path] = []  # for readers to close their handles on them
        self._warned = False
        self._closed = False

    # ------------------------------------------------------------------ views
    def path(self, relative: str) -> Path:
        """Where the local copy of ``relative`` lives (whether or not it exists now)."""
        return self.directory / relative

    def generation(self, relative: str) -> int:
        """Changes whenever bytes are written into ``relative``'s copy (or it is recreated):
        a reader holding it open from an older generation must reopen it."""
        with self._cond:
            f = self._files.get(relative)
            return -1 if f is None else f.generation

    def held(self, owner: Hashable) -> dict[str, list[Range]]:
        """The ranges ``owner`` holds, by file."""
        with self._cond:
            return {r: merge(f.holds[owner]) for r, f in self._files.items() if owner in f.holds}

    def disk_bytes(self) -> int:
        """Bytes the copies take on disk (allocated blocks), as the file system reports them."""
        with self._cond:
            paths = [f.path for f in self._files.values()]
        out = 0
        for p in paths:
            with contextlib.suppress(FileNotFoundError):
                out += p.stat().st_blocks * 512
        return out

    def stats(self) -> CacheStats:
        """Current use."""
        with self._cond:
            return CacheStats(
                budget_bytes=self.budget_bytes,
                used_bytes=self.used_bytes,
                peak_bytes=self.peak_bytes,
                fetched_bytes=self.fetched_bytes,
                files=len(self._files),
                files_deleted=self.files_deleted,
                over_budget=self.over_budget,
            )

    # ------------------------------------------------------------------ acquiring
    def file_size(self, relative: str) -> int:
        """Size of the remote file (asked once)."""
        size = self._sizes.get(relative)
        if size is None:
            size = self._size(relative)
            self._sizes[relative] = size
        return size

    def _open(self, relative: str) -> _File:
        f = self._files.get(relative)
        if f is None:
            path = self.path(relative)
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
            size = self._sizes[relative]
            os.ftruncate(fd, size)
            self._generation += 1
            f = _File(path, size, fd, generation=self._generation)
            self._files[relative] = f
        return f

    def acquire(
        self, owner: Hashable, relative: str, ranges: Iterable[Range], *, required: bool = True
    ) -> Path:
        """Make ``ranges`` of ``relative`` present in its local copy, held by ``owner``; return
        the copy's path. Fetches what is missing (waiting for ranges other threads are
        fetching). Raises :class:`NoRoom` for an optional acquisition that does not fit, and
        whatever ``fetch`` raises (the owner keeps what it held before the call)."""
        size = self.file_size(relative)
        wanted = merge((max(0, a), min(size, b)) for a, b in ranges)
        with self._cond:
            if self._closed:
                raise RuntimeError("the cache is closed")
            f = self._open(relative)
            before = list(f.holds.get(owner, []))
            f.holds[owner] = merge([*before, *wanted])
        try:
            while True:
                mine = self._reserve(f, wanted, required, relative)
                if mine is None:
                    return f.path
                if not mine:
                    continue
                try:
                    for a, b in mine:
                        os.pwrite(f.fd, self._fetch(relative, a, b), a)
                except BaseException:
                    with self._cond:
                        f.inflight = subtract(f.inflight, mine)
                        self._cond.notify_all()
                    raise
                with self._cond:
                    f.inflight = subtract(f.inflight, mine)
                    f.present = merge([*f.present, *mine])
                    self.used_bytes += total(mine)
                    self.fetched_bytes += total(mine)
                    self.peak_bytes = max(self.peak_bytes, self.used_bytes)
                    if self.used_bytes > self.budget_bytes:
                        self._over(relative, total(mine))
                    self._generation += 1
                    f.generation = self._generation
                    if owner not in f.holds:  # released while fetching
                        self._trim(relative, f)
                    self._cond.notify_all()
        except BaseException:
            with self._cond:
                if owner in f.holds:
                    if before:
                        f.holds[owner] = before
                    else:
                        del f.holds[owner]
                self._trim(relative, f)
                self._cond.notify_all()
            raise

    def _over(self, relative: str, added: int) -> None:
        self.over_budget += 1
        if not self._warned:
            self._warned = True
            logger.warning(
                "stream cache over its budget of %.1f MB (%.1f MB used after %.1f MB of %s): "
                "the episodes the pool holds need more; raise cache_budget_gb or lower "
                "episode_pool_size",
                self.budget_bytes / 1e6,
                self.used_bytes / 1e6,
                added / 1e6,
                relative,
            )

    def _reserve(
        self, f: _File, wanted: list[Range], required: bool, relative: str
    ) -> list[Range] | None:
        """The ranges this thread is to fetch now, marked in flight; ``None`` when everything
        wanted is present, ``[]`` to look again (after a wait, or after look-ahead holds gave
        their room back)."""
        with self._cond:
            missing = subtract(wanted, f.present)
            if not missing:
                return None
            mine = subtract(missing, f.inflight)
            if not mine:  # other threads are fetching the rest
                self._cond.wait(0.5)
                return []
            need = total(mine)
            inflight = sum(total(x.inflight) for x in self._files.values())
            if self.used_bytes + inflight + need <= self.budget_bytes:
                f.inflight = merge([*f.inflight, *mine])
                return mine
            if not required:
                raise NoRoom(f"{need} bytes of {relative} do not fit now")
        if self.make_room is not None and self.make_room():
            return []  # look-ahead episodes gave their room back: check again
        with self._cond:
            inflight = sum(total(x.inflight) for x in self._files.values())
            if inflight and self.used_bytes + inflight + need > self.budget_bytes:
                self._cond.wait(0.5)  # room may come back when those fetches end
                return []
            mine = subtract(subtract(wanted, f.present), f.inflight)
            f.inflight = merge([*f.inflight, *mine])
            return mine

    # ------------------------------------------------------------------ releasing
    def release(self, owner: Hashable, relative: str | None = None) -> None:
        """Drop what ``owner`` holds (in ``relative`` only, when given): bytes nobody else
        holds are punched out, files nobody holds are deleted."""
        with self._cond:
            for rel, f in list(self._files.items()):
                if (relative is None or rel == relative) and owner in f.holds:
                    del f.holds[owner]
                    self._trim(rel, f)
            self._cond.notify_all()

    def _trim(self, relative: str, f: _File) -> None:
        if self._files.get(relative) is not f:  # already gone (closed)
            return
        if not f.holds and not f.inflight:
            os.close(f.fd)
            with contextlib.suppress(FileNotFoundError):
                f.path.unlink()
            self.used_bytes -= total(f.present)
            del self._files[relative]
            self.files_deleted += 1
            self.deleted_paths.append(f.path)
            return
        keep = merge([*f.inflight, *(r for rs in f.holds.values() for r in rs)])
        for a, b in subtract(f.present, keep):
            # whole blocks only; the partial blocks at either end stay (and stay valid)
            start = -(-a // BLOCK) * BLOCK
            end = b if b == f.size else (b // BLOCK) * BLOCK
            if end <= start or not self._punch:
                continue
            if not punch_hole(f.fd, start, end - start):
                self._punch = False
                logger.info("this file system cannot punch holes: released bytes stay on disk")
                continue
            f.present = subtract(f.present, [(start, end)])
            self.used_bytes -= end - start

    def close(self) -> None:
        """Delete every copy and the folder."""
        with self._cond:
            self._closed = True
            for f in self._files.values():
                with contextlib.suppress(OSError):
                    os.close(f.fd)
            self._files.clear()
            self.used_bytes = 0
            self._cond.notify_all()
        shutil.rmtree(self.directory, ignore_errors=True)
