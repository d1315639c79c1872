"""The raw frames of one camera's episode, kept until its MP4 is complete.

An encoder process that hangs or dies loses the frames it was given; :class:`RawSpool` keeps
them so that the episode can be encoded again in a fresh process. Frames stay in memory up to
``memory_bytes`` (the arrays themselves: no copy), then everything goes to one file of
concatenated raw frames (``<name>.<H>x<W>.rgb24``: ``uint8``, ``(H, W, 3)`` each, row-major),
which is also what a failed episode leaves on disk for recovery, e.g.::

    frames = np.fromfile(path, np.uint8).reshape(-1, H, W, 3)
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import numpy as np

#: bytes of frames one spool keeps in memory before it moves them to its file (128 MiB: a
#: 64x64 episode of 10,000 frames, or ~4.5 s of 640x480 at 30 fps)
SPOOL_MEMORY_BYTES = 128 * 2**20


class RawSpool:
    """Append-only store of equally shaped ``uint8`` frames, in memory then in ``path``.

    ``path`` is the file used once ``memory_bytes`` is exceeded or :meth:`persist` is called
    (``<stem>-1.rgb24``, ``-2``... when it exists: kept frames are never overwritten); its folder
    must exist by then.
    """

    def __init__(self, path: Path, memory_bytes: int = SPOOL_MEMORY_BYTES) -> None:
        self.path = path
        self.memory_bytes = memory_bytes
        self.shape: tuple[int, ...] | None = None
        self.frames = 0
        self._memory: list[np.ndarray] = []
        self._held = 0
        self._file: BinaryIO | None = None
        self._wrote_file = False  # path is this spool's (never delete another's kept frames)

    @property
    def on_disk(self) -> bool:
        """The frames are in :attr:`path` (spilled or persisted)."""
        return self._file is not None

    def append(self, frame: np.ndarray) -> None:
        """Keep ``frame`` (not copied while in memory: the caller must not reuse its buffer).

        Raises:
            ValueError: ``frame`` is not ``uint8`` or not the shape of the first frame.
        """
        if frame.dtype != np.uint8:
            raise ValueError(f"{self.path}: spool frames are uint8, got {frame.dtype}")
        if self.shape is None:
            self.shape = tuple(frame.shape)
        elif tuple(frame.shape) != self.shape:
            raise ValueError(f"{self.path}: frame of shape {frame.shape}, expected {self.shape}")
        self.frames += 1
        if self._file is not None:
            self._file.write(np.ascontiguousarray(frame).data)
            return
        self._memory.append(frame)
        self._held += frame.nbytes
        if self._held > self.memory_bytes:
            self._spill()

    def _spill(self) -> None:
        stem, n = self.path.name.removesuffix(".rgb24"), 1
        while self.path.exists():  # never over the frames a failed episode left
            self.path = self.path.with_name(f"{stem}-{n}.rgb24")
            n += 1
        self._file = open(self.path, "wb")  # noqa: SIM115 - held until discard/persist
        self._wrote_file = True
        for frame in self._memory:
            self._file.write(np.ascontiguousarray(frame).data)
        self._memory = []
        self._held = 0

    def __iter__(self) -> Iterator[np.ndarray]:
        """Every frame, in order (read back from the file when spilled)."""
        if self._file is None:
            yield from list(self._memory)
            return
        assert self.shape is not None
        self._file.flush()
        size = int(np.prod(self.shape))
        with open(self.path, "rb") as handle:
            for _ in range(self.frames):
                data = handle.read(size)
                if len(data) < size:
                    raise OSError(f"{self.path}: spool file shorter than {self.frames} frames")
                yield np.frombuffer(data, np.uint8).reshape(self.shape)

    def persist(self) -> Path:
        """Write every frame to :attr:`path`, fsynced, and close it; returns it (the spool
        takes no more frames)."""
        if self._file is None:
            self._spill()
        assert self._file is not None
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        self._file = None
        self._memory = []
        return self.path

    def discard(self) -> None:
        """Drop the frames and delete the file."""
        self._memory = []
        self._held = 0
        if self._file is not None:
            with contextlib.suppress(OSError):
                self._file.close()
            self._file = None
        if self._wrote_file:
            self.path.unlink(missing_ok=True)
