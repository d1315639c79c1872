"""Crash-safe file replacement: the one way lr writes a file that must never be half-written.

Every metadata file, parquet file, checkpoint tensor file and report goes through
:func:`atomic_path` (or the two byte/text shortcuts below it): the content is written to a
temporary file in the destination folder, flushed to disk, given the permissions an ordinary
``open(path, "w")`` would have given it (the process umask for a new file, the old file's mode for
a replaced one), renamed over the destination and the folder entry flushed. Readers see the old
file or the new one, never a mixture, and a crash or power loss leaves one of the two behind.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Generator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["atomic_path", "atomic_write_bytes", "atomic_write_text", "fsync_dir", "fsync_file"]


@contextmanager
def atomic_path(path: str | Path) -> Generator[Path]:
    """Yield a temporary path to write; on a clean exit it replaces ``path`` atomically.

    The caller writes the complete file to the yielded path (with any library: pyarrow,
    safetensors, PyAV). On success the file is fsynced, its mode set as an ordinary write would
    set it, renamed over ``path`` and the folder fsynced. On an exception the temporary file is
    removed and ``path`` is left untouched. The yielded name starts with a dot and ends in
    ``.tmp`` so folder scans can skip it; its suffix before that is ``path``'s own (some writers
    choose the format from the extension).

    Raises:
        OSError: from the file system (full disk, read-only folder), after cleaning up.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.stem}.", suffix=f"{path.suffix}.tmp"
    )
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        fsync_file(tmp)
        os.chmod(tmp, _mode_for(path))
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically (see :func:`atomic_path`)."""
    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        handle.write(data)


def atomic_write_text(path: str | Path, text: str) -> None:
    """:func:`atomic_write_bytes` for UTF-8 text."""
    atomic_write_bytes(path, text.encode("utf-8"))


def fsync_file(path: str | Path) -> None:
    """Flush a file's content to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(path: str | Path) -> None:
    """Flush a folder's entry table to disk (no-op where the OS cannot open folders)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _mode_for(path: Path) -> int:
    """The permission bits ``open(path, "w")`` would leave: the old file's, else 0o666 & ~umask."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return 0o666 & ~_umask()


def _umask() -> int:
    """The process umask, read without changing it where the OS allows (Linux: /proc)."""
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)  # elsewhere: read by setting and restoring (not thread-safe, brief)
    os.umask(mask)
    return mask
