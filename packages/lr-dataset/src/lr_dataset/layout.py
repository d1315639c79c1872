"""File layout of a LeRobotDataset v3.0: path templates, defaults and chunk/file numbering.

::

    meta/info.json  meta/stats.json  meta/tasks.parquet
    meta/episodes/chunk-000/file-000.parquet
    data/chunk-000/file-000.parquet
    videos/<video_key>/chunk-000/file-000.mp4

Files are numbered ``chunk-XXX/file-XXX``; a chunk folder holds at most ``chunks_size`` files,
and a file is closed (the next one started) when it would grow past its size limit.
"""

from __future__ import annotations

from pathlib import Path

CODEBASE_VERSION = "v3.0"

DEFAULT_CHUNK_SIZE = 1000
DEFAULT_DATA_FILE_SIZE_IN_MB = 100
DEFAULT_VIDEO_FILE_SIZE_IN_MB = 200

INFO_PATH = "meta/info.json"
STATS_PATH = "meta/stats.json"
TASKS_PATH = "meta/tasks.parquet"
EPISODES_DIR = "meta/episodes"
DATA_DIR = "data"
VIDEO_DIR = "videos"
IMAGES_DIR = "images"

CHUNK_FILE_PATTERN = "chunk-{chunk_index:03d}/file-{file_index:03d}"
EPISODES_PATH = EPISODES_DIR + "/" + CHUNK_FILE_PATTERN + ".parquet"
DATA_PATH = DATA_DIR + "/" + CHUNK_FILE_PATTERN + ".parquet"
VIDEO_PATH = VIDEO_DIR + "/{video_key}/" + CHUNK_FILE_PATTERN + ".mp4"

# v2.1 (legacy) files, recognised so that opening one gives a clear error.
LEGACY_EPISODES_PATH = "meta/episodes.jsonl"
LEGACY_TASKS_PATH = "meta/tasks.jsonl"


def next_file(chunk_index: int, file_index: int, chunks_size: int) -> tuple[int, int]:
    """The ``(chunk, file)`` after the given one; a new chunk every ``chunks_size`` files."""
    if file_index >= chunks_size - 1:
        return chunk_index + 1, 0
    return chunk_index, file_index + 1


def episodes_path(root: Path, chunk_index: int, file_index: int) -> Path:
    """``<root>/meta/episodes/chunk-XXX/file-XXX.parquet``."""
    return root / EPISODES_PATH.format(chunk_index=chunk_index, file_index=file_index)


def size_in_mb(path: Path) -> float:
    """Size of ``path`` on disk in MiB (0 when it does not exist)."""
    try:
        return path.stat().st_size / (1024**2)
    except FileNotFoundError:
        return 0.0
