"""Which bytes an episode needs: MP4 headers by box walking, packets by PyAV on a copy holding
only the header, parquet footers and row groups."""

from __future__ import annotations

import struct

import pytest

from lr_dataset.errors import DatasetFormatError
from lr_dataset.streaming.cache import merge, subtract
from lr_dataset.streaming.ranges import (
    mp4_episode,
    mp4_header,
    parquet_footer,
    parquet_row_groups,
)
from lr_dataset.testing import files_of


def reader(data: bytes, log: list | None = None):
    def read(a, b):
        if log is not None:
            log.append((a, b))
        return data[a:b]

    return read


def boxes(data: bytes) -> list[tuple[bytes, int, int]]:
    out, offset = [], 0
    while offset < len(data):
        size, kind = struct.unpack(">I4s", data[offset : offset + 8])
        out.append((kind, offset, size))
        offset += size
    return out


def test_mp4_header_covers_every_box_but_mdat(rollover, monkeypatch):
    from lr_dataset.streaming import ranges

    monkeypatch.setattr(ranges, "HEAD_BYTES", 64)
    for video in files_of(rollover, "videos"):
        data = video.read_bytes()
        log: list = []
        header = mp4_header(reader(data, log), len(data), str(video))
        for kind, offset, size in boxes(data):
            inside = not subtract([(offset, offset + size)], header)
            assert inside == (kind not in (b"mdat", b"free")) or kind == b"ftyp", kind
        assert sum(b - a for a, b in log) < len(data) // 2  # the walk reads headers only


def test_mp4_header_refuses_non_mp4(tmp_path):
    with pytest.raises(DatasetFormatError, match="no 'moov' box"):
        data = struct.pack(">I4s", 16, b"ftyp") + bytes(8) + struct.pack(">I4s", 8, b"mdat")
        mp4_header(reader(data), len(data), "x.mp4")
    with pytest.raises(DatasetFormatError, match="malformed"):
        data = struct.pack(">I4s", 3, b"ftyp") + bytes(8)
        mp4_header(reader(data), len(data), "x.mp4")


def test_episode_packets_come_from_the_header_alone(bframes, tmp_path):
    import av

    video = files_of(bframes, "videos")[0]
    data = video.read_bytes()
    header = mp4_header(reader(data), len(data), str(video))
    sparse = tmp_path / "sparse.mp4"
    with open(sparse, "wb") as handle:
        handle.truncate(len(data))
        for a, b in header:
            handle.seek(a)
            handle.write(data[a:b])
    with av.open(str(video)) as container:
        stream = container.streams.video[0]
        tb = float(stream.time_base)
        packets = [
            (p.pos, p.size, float(p.pts * tb)) for p in container.demux(stream) if p.dts is not None
        ]
    start, end = 0.2, 0.5
    plan = mp4_episode(sparse, start, end)
    needed = [(pos, pos + size) for pos, size, t in packets if start <= t <= end]
    assert not subtract(needed, plan)  # every packet of the span is in the plan
    assert sum(b - a for a, b in merge(plan)) < sum(size for _, size, _ in packets)


def test_parquet_footer_and_row_groups(rollover):
    import pyarrow.parquet as pq

    path = files_of(rollover, "data")[0]
    data = path.read_bytes()
    (footer,) = parquet_footer(reader(data), len(data), str(path))
    assert footer[1] == len(data) and data[footer[0] :][-4:] == b"PAR1"
    parquet = pq.ParquetFile(path)
    first = parquet.read_row_group(1, columns=["index"]).column("index").to_pylist()
    groups, spans = parquet_row_groups(parquet, first[0], first[-1] + 1)
    assert groups == [1] and len(spans) == 1
    md = parquet.metadata.row_group(1)
    assert spans[0][1] - spans[0][0] == sum(
        md.column(j).total_compressed_size for j in range(md.num_columns)
    )
    with pytest.raises(DatasetFormatError, match="not a parquet file"):
        parquet_footer(reader(b"x" * 100), 100, "bad.parquet")
