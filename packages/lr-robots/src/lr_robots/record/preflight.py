"""Checks made before the robot moves: the dataset folder is writable and its disk has room.

A recording that fails at its first ``save_episode`` has already moved the arm for a whole
episode; these checks fail at once instead, naming the folder, the filesystem's free space and
what one episode needs. They are estimates: a disk that fills during the session still stops it
cleanly (the failed save is raised by the writer, the robot is disconnected safely and every
episode saved before is kept).
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Mapping
from pathlib import Path

from lr_core.errors import ConfigError
from lr_core.features import FeatureSpec

#: space kept free beyond the estimate (MB): metadata rewrites, the filesystem's own needs
MARGIN_MB = 64.0
#: bytes per camera pixel in an AV1/H.264 episode at CRF 30 (a generous estimate; a busy
#: 640x480 scene at 30 fps measures ~0.01-0.03)
VIDEO_BYTES_PER_PIXEL = 0.02
#: bytes per pixel of a PNG-encoded frame (no inter-frame compression)
PNG_BYTES_PER_PIXEL = 2.0


def episode_bytes(features: Mapping[str, FeatureSpec], frames: int) -> float:
    """An upper estimate of one episode of ``frames`` frames on disk, in bytes (the encoded
    staging MP4 and the copy appended to the shared file count twice)."""
    total = 0.0
    for spec in features.values():
        shape = tuple(spec.shape or (1,))
        count = 1
        for dim in shape:
            count *= int(dim)
        if spec.dtype == "video":
            total += 2 * VIDEO_BYTES_PER_PIXEL * count * frames
        elif spec.dtype == "image":
            total += PNG_BYTES_PER_PIXEL * count * frames
        else:
            total += 8 * count * frames
    return total + 64 * frames  # the default columns


def nearest_existing(path: Path) -> Path:
    """``path`` or its closest existing parent."""
    path = path.absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def check_writable(root: Path) -> None:
    """Create a probe file where the dataset will be written (``root``, or the closest
    existing folder above it) and delete it.

    Raises:
        ConfigError: naming the folder and the system's reason (read-only filesystem,
            permission denied, a file where a folder should be).
    """
    target = nearest_existing(root)
    if not target.is_dir():
        raise ConfigError(f"cannot record into {root}: {target} is a file, not a folder")
    probe = target / f".lr-record-probe-{uuid.uuid4().hex}"
    try:
        with open(probe, "wb") as handle:
            handle.write(b"lr")
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:
        raise ConfigError(
            f"cannot record into {root}: {target} is not writable ({exc.strerror or exc}); "
            f"choose another --dataset.root"
        ) from None
    finally:
        probe.unlink(missing_ok=True)


def check_free_space(root: Path, features: Mapping[str, FeatureSpec], frames: int) -> float:
    """Refuse to start when the filesystem of ``root`` cannot hold one more episode of
    ``frames`` frames plus :data:`MARGIN_MB`; returns the free space in MB.

    Raises:
        ConfigError: naming the folder, the free space and the estimate.
    """
    target = nearest_existing(root)
    free = shutil.disk_usage(target).free / 1e6
    need = episode_bytes(features, frames) / 1e6 + MARGIN_MB
    if free < need:
        raise ConfigError(
            f"not enough free space to record into {root}: {free:.0f} MB free on the disk "
            f"holding {target}, and one episode of {frames} frames needs about {need:.0f} MB "
            f"(with a {MARGIN_MB:.0f} MB margin); free some space or choose another "
            f"--dataset.root"
        )
    return free
