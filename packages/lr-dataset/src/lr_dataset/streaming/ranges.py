"""Which byte ranges of a remote file an episode needs: an MP4's header and the samples of the
episode's span, a parquet file's footer and the row groups holding the episode's rows.

MP4: the top-level boxes are walked with small range reads (``ftyp``, ``moov``... anything but
``mdat``: the header). With the header written into the local sparse copy, PyAV opens the copy,
seeks to the episode's first timestamp exactly as the decoder will (the keyframe at or before it)
and demuxes forward - reading only the sample table, never the missing sample bytes' meaning -
to list the byte position and size of every packet from there to the episode's end, plus
``EXTRA_PACKETS`` more for the decoder's reordering delay. FFmpeg itself so applies the edit
list, composition offsets and keyframe index; nothing here re-implements MP4 timing.

Parquet: the footer (``PAR1`` magic, 4-byte length) is read from the end; with it in the copy,
pyarrow lists the row groups and their column chunks; the row groups whose ``index`` statistics
overlap the episode's frames are fetched whole (LeRobot writes one row group per episode).
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lr_dataset.errors import DatasetFormatError
from lr_dataset.streaming.cache import Range, merge

HEAD_BYTES = 1 << 16
#: packets fetched past an episode's end, for decoders that hold frames back (h264 B-frames)
EXTRA_PACKETS = 16
#: packets this close together are fetched in one range
GAP_BYTES = 1 << 16


def mp4_header(read: Callable[[int, int], bytes], size: int, what: str) -> list[Range]:
    """The ranges of an MP4's top-level boxes other than ``mdat`` (plus its first bytes).

    ``read(start, end)`` fetches bytes. Raises :class:`DatasetFormatError` for a file that is
    not an MP4 with a ``moov`` box, or a fragmented one.
    """
    head = read(0, min(HEAD_BYTES, size))
    ranges: list[Range] = [(0, len(head))]
    offset = 0
    found_moov = False
    while offset + 8 <= size:
        if offset + 16 <= len(head):
            header = head[offset : offset + 16]
        else:
            header = read(offset, min(offset + 16, size))
        box_size, kind = struct.unpack(">I4s", header[:8])
        if box_size == 1:
            if len(header) < 16:
                raise DatasetFormatError(f"{what}: truncated MP4 box header at byte {offset}")
            box_size = struct.unpack(">Q", header[8:16])[0]
        elif box_size == 0:
            box_size = size - offset
        if box_size < 8:
            raise DatasetFormatError(f"{what}: malformed MP4 box {kind!r} at byte {offset}")
        if kind == b"moof":
            raise DatasetFormatError(f"{what}: fragmented MP4 files are not supported")
        if kind == b"moov":
            found_moov = True
        if kind not in (b"mdat", b"free", b"skip"):
            ranges.append((offset, min(offset + box_size, size)))
        offset += box_size
    if not found_moov:
        raise DatasetFormatError(f"{what}: no 'moov' box: not a complete MP4 file")
    return merge(ranges)


def mp4_episode(path: Path, start_s: float, end_s: float) -> list[Range]:
    """Byte ranges of the packets that decoding ``[start_s, end_s]`` seconds of ``path`` reads,
    found from the header alone (the copy at ``path`` needs nothing else)."""
    from lr_dataset.video.pyav import import_av

    av = import_av()
    spans: list[Range] = []
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        tb = float(stream.time_base)
        container.seek(max(0, round(start_s / tb)), backward=True, any_frame=False, stream=stream)
        after = 0
        for packet in container.demux(stream):
            if packet.dts is None or packet.pos is None or packet.pos < 0:
                continue
            spans.append((packet.pos, packet.pos + packet.size))
            pts = packet.pts if packet.pts is not None else packet.dts
            if pts * tb <= end_s:
                after = 0
            else:
                after += 1
                if after > EXTRA_PACKETS:
                    break
    if not spans:
        raise DatasetFormatError(f"{path}: no video packets between {start_s} and {end_s} s")
    return _coalesce(spans)


def _coalesce(spans: list[Range]) -> list[Range]:
    out: list[list[int]] = []
    for a, b in sorted(spans):
        if out and a - out[-1][1] <= GAP_BYTES:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return [(a, b) for a, b in out]


def parquet_footer(read: Callable[[int, int], bytes], size: int, what: str) -> list[Range]:
    """The range of a parquet file's footer (metadata, length and magic)."""
    if size < 12:
        raise DatasetFormatError(f"{what}: {size} bytes is too small for a parquet file")
    start = max(0, size - HEAD_BYTES)
    tail = read(start, size)
    if tail[-4:] != b"PAR1":
        raise DatasetFormatError(f"{what}: not a parquet file (no PAR1 magic at the end)")
    length = struct.unpack("<I", tail[-8:-4])[0]
    begin = size - 8 - length
    if begin < 4:
        raise DatasetFormatError(f"{what}: parquet footer length {length} exceeds the file")
    return [(min(begin, start), size)]


def parquet_row_groups(parquet: Any, first: int, stop: int) -> tuple[list[int], list[Range]]:
    """Row groups of ``parquet`` (a ``pyarrow.parquet.ParquetFile``) that may hold frames
    ``[first, stop)`` of the ``index`` column, and their byte ranges."""
    md = parquet.metadata
    groups: list[int] = []
    spans: list[Range] = []
    for i in range(md.num_row_groups):
        rg = md.row_group(i)
        lo = hi = None
        starts, ends = [], []
        for j in range(rg.num_columns):
            col = rg.column(j)
            begin = col.data_page_offset
            if col.has_dictionary_page and col.dictionary_page_offset:
                begin = min(begin, col.dictionary_page_offset)
            starts.append(begin)
            ends.append(begin + col.total_compressed_size)
            if col.path_in_schema == "index" and col.statistics is not None:
                stats = col.statistics
                if stats.has_min_max:
                    lo, hi = int(stats.min), int(stats.max)
        if lo is not None and (hi < first or lo >= stop):
            continue
        groups.append(i)
        spans.append((min(starts), max(ends)))
    return groups, merge(spans)
