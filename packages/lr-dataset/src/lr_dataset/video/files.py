"""Video files: probing an MP4 as LeRobot records it, and appending an episode to a shared one.

A camera's episodes share MP4 files (``videos/<key>/chunk-XXX/file-XXX.mp4``); each episode is
appended by stream copy (no re-encode), so its span in the file is ``[from_timestamp,
to_timestamp)`` seconds. Appends replace the file atomically.
"""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path
from typing import Any

from lr_core.fileio import atomic_path, fsync_dir, fsync_file
from lr_dataset.video.pyav import import_av


def probe(path: Path) -> dict[str, Any]:
    """``video.*`` fields of ``path`` as LeRobot records them (height, width, codec, ...)."""
    av = import_av()
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        info = {
            "video.height": stream.height,
            "video.width": stream.width,
            "video.codec": stream.codec_context.codec.canonical_name
            if hasattr(stream.codec_context.codec, "canonical_name")
            else stream.codec_context.name,
            "video.pix_fmt": stream.pix_fmt or stream.codec_context.pix_fmt,
            "video.fps": int(stream.base_rate or stream.average_rate),
            "video.channels": 1 if (stream.pix_fmt or "").startswith("gray") else 3,
            "has_audio": len(container.streams.audio) > 0,
        }
    return info


def duration_s(path: Path) -> float:
    """Duration of the first video stream in seconds (LeRobot's definition)."""
    av = import_av()
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        if stream.duration is not None:
            return float(stream.duration * stream.time_base)
        return float(container.duration / av.time_base)


def append_episode(shared: Path, episode: Path) -> tuple[float, float]:
    """Append ``episode`` to ``shared`` (created when absent) by stream copy, atomically.

    Returns the episode's ``(from_timestamp, to_timestamp)`` inside ``shared``. The new
    ``shared`` is written to a temporary file, fsynced and renamed over the old one, so a crash
    leaves either the old file or the new one. ``episode`` is removed.
    """
    shared.parent.mkdir(parents=True, exist_ok=True)
    ep_duration = duration_s(episode)
    if not shared.exists():
        fsync_file(episode)
        os.replace(episode, shared)
        fsync_dir(shared.parent)
        return 0.0, ep_duration
    start = duration_s(shared)
    with atomic_path(shared) as tmp:
        concat([shared, episode], tmp)
    episode.unlink(missing_ok=True)
    return start, start + ep_duration


def concat(inputs: list[Path], output: Path) -> None:
    """Remux ``inputs`` (same codec/size) one after the other into ``output``."""
    av = import_av()
    with av.open(str(output), "w", format="mp4", options={"movflags": "faststart"}) as out:
        out_stream = None
        offset = 0  # in the output time base
        last_dts: int | None = None
        for path in inputs:
            with av.open(str(path)) as src:
                in_stream = src.streams.video[0]
                if out_stream is None:
                    out_stream = out.add_stream_from_template(in_stream, opaque=True)
                    out_stream.time_base = in_stream.time_base
                tb_ratio = Fraction(in_stream.time_base) / Fraction(out_stream.time_base)
                shift = None
                max_end = offset
                for packet in src.demux(in_stream):
                    if packet.dts is None:
                        continue
                    pts = int(packet.pts * tb_ratio) if packet.pts is not None else None
                    dts = int(packet.dts * tb_ratio)
                    if shift is None:
                        shift = offset
                        if last_dts is not None and dts + shift <= last_dts:
                            shift = last_dts + 1 - dts
                    packet.pts = None if pts is None else pts + shift
                    packet.dts = dts + shift
                    last_dts = packet.dts
                    dur = int((packet.duration or 0) * tb_ratio)
                    if packet.pts is not None:
                        max_end = max(max_end, packet.pts + dur)
                    packet.stream = out_stream
                    out.mux(packet)
                if in_stream.duration is not None:
                    offset = offset + int(in_stream.duration * tb_ratio)
                else:
                    offset = max_end
