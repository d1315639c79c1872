"""Where files are assembled before they become part of a dataset.

Two kinds of staging, one rule: nothing half-written is ever visible under a dataset's name.

- **Recording** (:data:`RECORDING_DIR`): the writer encodes each camera's episode into
  ``<root>/.staging/`` while it is recorded; ``save_episode`` appends it to the shared MP4 and
  removes it, ``repair`` removes what a killed recorder left there - except the raw frames of
  an episode whose encoding failed (``*.rgb24``), which only the user deletes.
- **Tools** (:func:`new_partial_dir`, :func:`commit`): an editing tool or the converter builds a
  whole new dataset in a hidden ``.<name>.partial-<pid>`` folder beside its target and renames
  it into place at the end; leftovers of killed runs (their pid gone) are removed on the next
  run.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

#: the writer's folder for episodes being encoded, inside the dataset root
RECORDING_DIR = ".staging"
#: the suffix of an episode's raw frames kept after its encoding failed (never removed here)
RAW_FRAMES_SUFFIX = ".rgb24"


def clear_recording_dir(staging: Path) -> list[Path]:
    """Remove what the recorder left in ``staging`` except raw frames of unsaved episodes
    (``*.rgb24``, see :mod:`lr_dataset.video.spool`), and the folder once empty; returns the
    paths removed."""
    removed: list[Path] = []
    if not staging.exists():
        return removed
    for path in sorted(staging.iterdir()):
        if path.suffix == RAW_FRAMES_SUFFIX:
            continue
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
        removed.append(path)
    if not any(staging.iterdir()):
        staging.rmdir()
    return removed


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return True
    return True


def new_partial_dir(target: Path) -> Path:
    """A fresh hidden folder beside ``target`` (``.<name>.partial-<pid>``), its parent created;
    partial folders of killed runs for the same target are removed."""
    target.parent.mkdir(parents=True, exist_ok=True)
    for old in target.parent.glob(f".{target.name}.partial-*"):
        pid = old.name.rsplit("-", 1)[-1]
        if pid.isdigit() and not _pid_alive(int(pid)):
            shutil.rmtree(old, ignore_errors=True)
    staging = target.parent / f".{target.name}.partial-{os.getpid()}"
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    return staging


def commit(partial: Path, target: Path) -> None:
    """Move a finished partial folder into place at ``target``, which must be absent or an
    empty folder (one rename: the dataset appears whole or not at all)."""
    if target.exists():
        target.rmdir()
    os.replace(partial, target)
