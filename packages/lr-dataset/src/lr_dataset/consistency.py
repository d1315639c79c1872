"""Cross-checks of the redundant structure of a dataset, so damage is refused, never copied.

A LeRobot v3.0 dataset says the same things twice: ``meta/episodes`` gives each episode's
``[dataset_from_index, dataset_to_index)`` range and ``length``, and the data rows carry their own
``index``, ``episode_index`` and ``frame_index``. Readers address frames through the episode
rows, so an overlapping or short range silently marks real frames as padding or drops them, and
an editing tool would copy that into a new, clean-looking dataset. Two cheap checks close this:

- :func:`check_episodes` (every open, on the episodes table alone, vectorised): episode indices
  ``0..N-1``, ranges starting at 0, contiguous, ``to - from == length >= 1``, and each camera's
  episodes occupying disjoint ``[from_timestamp, to_timestamp)`` spans of their MP4 file;
- :func:`check_rows` / :func:`check_selection` (where data rows are read: the reader at open,
  the editing tools per episode slice, the converter, repair): the rows of episode ``e`` are
  exactly ``index = from..to-1``, ``episode_index = e`` and ``frame_index = 0..length-1``.

Every failure is a :class:`~lr_dataset.errors.DatasetFormatError` naming the episode and the file.
Rows that no episode references (what an interrupted write leaves at the end of a file) are not
damage: readers ignore them and :func:`lr_dataset.repair` removes them.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from lr_dataset import layout
from lr_dataset.errors import DatasetFormatError

REQUIRED_COLUMNS = (
    "episode_index",
    "length",
    "data/chunk_index",
    "data/file_index",
    "dataset_from_index",
    "dataset_to_index",
)


def episodes_file(episodes: Any, row: int) -> str:
    """Relative path of the ``meta/episodes`` file holding ``row`` (the folder when unknown)."""
    names = episodes.column_names
    if "meta/episodes/chunk_index" in names and "meta/episodes/file_index" in names:
        c = int(episodes.column("meta/episodes/chunk_index")[row])
        f = int(episodes.column("meta/episodes/file_index")[row])
        return layout.EPISODES_PATH.format(chunk_index=c, file_index=f)
    return layout.EPISODES_DIR


def check_episodes(root: Path, episodes: Any, *, fps: int, video_keys: Sequence[str] = ()) -> None:
    """Check the episodes table (an :class:`~lr_dataset.episodes.EpisodeTable`) on its own.

    Raises :class:`DatasetFormatError` naming the first bad episode and its file.
    """
    names = episodes.column_names
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    missing += [
        f"videos/{k}/{c}"
        for k in video_keys
        for c in ("chunk_index", "file_index", "from_timestamp", "to_timestamp")
        if f"videos/{k}/{c}" not in names
    ]
    if missing:
        raise DatasetFormatError(f"{root / layout.EPISODES_DIR}: columns {missing} are missing")
    n = len(episodes)
    ep = episodes.column("episode_index").astype(np.int64)

    def fail(row: int, what: str) -> DatasetFormatError:
        return DatasetFormatError(
            f"{root / episodes_file(episodes, row)}: episode {int(ep[row])} {what}; the episode "
            f"metadata is damaged (restore meta/episodes from a backup or download the dataset "
            f"again)"
        )

    bad = np.flatnonzero(ep != np.arange(n))
    if len(bad):
        i = int(bad[0])
        raise DatasetFormatError(
            f"{root / episodes_file(episodes, i)}: row {i} holds episode_index {int(ep[i])}; the "
            f"episodes must be 0..{n - 1}, each once (episode {i} is missing or listed twice)"
        )
    start = episodes.column("dataset_from_index").astype(np.int64)
    stop = episodes.column("dataset_to_index").astype(np.int64)
    length = episodes.column("length").astype(np.int64)
    bad = np.flatnonzero(length < 1)
    if len(bad):
        raise fail(int(bad[0]), f"has length {int(length[bad[0]])}")
    bad = np.flatnonzero(stop - start != length)
    if len(bad):
        i = int(bad[0])
        raise fail(
            i,
            f"spans index [{int(start[i])}, {int(stop[i])}) ({int(stop[i] - start[i])} frames) "
            f"but its length is {int(length[i])}",
        )
    if n and start[0] != 0:
        raise fail(0, f"starts at index {int(start[0])}; the first episode starts at 0")
    bad = np.flatnonzero(start[1:] != stop[:-1])
    if len(bad):
        i = int(bad[0]) + 1
        kind = "overlaps" if start[i] < stop[i - 1] else "leaves a gap after"
        raise fail(
            i,
            f"starts at index {int(start[i])} but episode {i - 1} ends at {int(stop[i - 1])}: "
            f"it {kind} the previous episode",
        )
    half_frame = 0.5 / fps
    for key in video_keys:
        lo = episodes.column(f"videos/{key}/from_timestamp").astype(np.float64)
        hi = episodes.column(f"videos/{key}/to_timestamp").astype(np.float64)
        bad = np.flatnonzero(~(lo >= 0) | ~(hi > lo))
        if len(bad):
            i = int(bad[0])
            raise fail(i, f"has video {key!r} span [{lo[i]}, {hi[i]}) s, which is empty")
        chunk = episodes.column(f"videos/{key}/chunk_index").astype(np.int64)
        file = episodes.column(f"videos/{key}/file_index").astype(np.int64)
        order = np.lexsort((lo, file, chunk))
        same = (chunk[order][1:] == chunk[order][:-1]) & (file[order][1:] == file[order][:-1])
        overlap = same & (lo[order][1:] < hi[order][:-1] - half_frame)
        bad = np.flatnonzero(overlap)
        if len(bad):
            a, b = int(order[bad[0]]), int(order[bad[0] + 1])
            video = layout.VIDEO_PATH.format(
                video_key=key, chunk_index=chunk[b], file_index=file[b]
            )
            raise fail(
                b,
                f"has video {key!r} span [{lo[b]:.6f}, {hi[b]:.6f}) s overlapping episode {a}'s "
                f"[{lo[a]:.6f}, {hi[a]:.6f}) s in the same file {video}",
            )


def check_rows(
    where: Path | str,
    episode: int,
    start: int,
    index: np.ndarray,
    episode_index: np.ndarray,
    frame_index: np.ndarray,
    length: int,
) -> None:
    """The data rows read for ``episode`` (one slice, in file order) are exactly its frames:
    ``index == start + 0..length-1``, ``episode_index == episode``, ``frame_index == 0..length-1``.

    ``where`` names the data file in the error.
    """
    n = len(index)
    if n != length:
        raise DatasetFormatError(
            f"{where}: episode {episode} should hold {length} frames (index {start}.."
            f"{start + length - 1}) but the file has {n} rows for them"
        )
    expected = np.arange(n, dtype=np.int64)
    for name, values, want in (
        ("index", index, start + expected),
        ("episode_index", episode_index, np.full(n, episode, dtype=np.int64)),
        ("frame_index", frame_index, expected),
    ):
        bad = np.flatnonzero(np.asarray(values, dtype=np.int64) != want)
        if len(bad):
            i = int(bad[0])
            raise DatasetFormatError(
                f"{where}: episode {episode}, frame {i} (index {start + i}) has {name} "
                f"{int(values[i])}, expected {int(want[i])}: the data rows and meta/episodes "
                f"disagree"
            )


def check_selection(
    episodes: np.ndarray,
    start: np.ndarray,
    stop: np.ndarray,
    rows: np.ndarray,
    episode_index: np.ndarray,
    frame_index: np.ndarray,
    file_of_row: Any,
) -> None:
    """Vectorised :func:`check_rows` over several episodes at once (the reader's open).

    ``episodes``, ``start``, ``stop``: the selected episodes and their index ranges; ``rows``:
    the row of each of their frames in the loaded columns (``-1`` where absent), in order;
    ``episode_index`` / ``frame_index``: the loaded columns; ``file_of_row(row)`` names the file
    of a row (``file_of_row(None, episode)`` that of a missing one).
    """
    lengths = stop - start
    want_ep = np.repeat(episodes, lengths)
    want_frame = np.arange(len(rows), dtype=np.int64) - np.repeat(
        np.cumsum(lengths) - lengths, lengths
    )
    missing = np.flatnonzero(rows < 0)
    if len(missing):
        i = int(missing[0])
        ep = int(want_ep[i])
        raise DatasetFormatError(
            f"{file_of_row(None, ep)}: episode {ep}, frame {int(want_frame[i])} (index "
            f"{int(start[np.searchsorted(episodes, ep)] + want_frame[i])}) is listed in "
            f"meta/episodes but missing from the data files"
        )
    for name, values, want in (
        ("episode_index", episode_index[rows], want_ep),
        ("frame_index", frame_index[rows], want_frame),
    ):
        bad = np.flatnonzero(np.asarray(values, dtype=np.int64) != want)
        if len(bad):
            i = int(bad[0])
            ep = int(want_ep[i])
            raise DatasetFormatError(
                f"{file_of_row(int(rows[i]), ep)}: episode {ep}, frame {int(want_frame[i])} "
                f"(index {int(start[np.searchsorted(episodes, ep)] + want_frame[i])}) has "
                f"{name} {int(values[i])}, expected {int(want[i])}: the data rows and "
                f"meta/episodes disagree"
            )
