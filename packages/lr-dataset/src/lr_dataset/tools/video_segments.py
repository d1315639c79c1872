"""Cutting episodes out of shared MP4 files and joining them into new ones.

The editing tools keep whole MP4 files when they can (a byte copy) and otherwise rebuild a file
from episode *segments* ``(source, from_timestamp, to_timestamp)``:

- **stream copy** (the normal case): LeRobot and lr encode every episode on its own and append
  it to the shared file by stream copy, so each episode starts on a keyframe and its packets
  depend on nothing before it. :func:`join_segments` copies those packets (no re-encode), shifts
  their timestamps, and the decoded frames are bit-identical to the source's.
- **re-encode** (fallback): when a segment does not start on a keyframe (a file encoded in one
  piece by another tool) its packets cannot stand alone, so the whole output file is decoded and
  re-encoded with the dataset's recorded encoder settings (:func:`reencode_segments`); frames
  then match the source within the codec's loss.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from lr_dataset.errors import DatasetFormatError
from lr_dataset.video.encode import VideoEncoderConfig
from lr_dataset.video.encoder_gate import GatedEncoding
from lr_dataset.video.encoder_process import PROCESS_CODECS, ProcessEpisodeEncoder
from lr_dataset.video.pyav import import_av


@dataclass(frozen=True)
class Segment:
    """One episode's span ``[start_s, end_s)`` inside a source MP4."""

    path: Path
    start_s: float
    end_s: float


def stream_signature(path: Path) -> tuple[Any, ...]:
    """What must be equal for packets of two files to share one stream: codec, size, pixel
    format, time base and the codec's extradata (AV1 sequence header, H.264 SPS/PPS...)."""
    av = import_av()
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        ctx = stream.codec_context
        return (
            ctx.name,
            ctx.width,
            ctx.height,
            stream.pix_fmt or ctx.pix_fmt,
            bytes(ctx.extradata or b""),
        )


class NotKeyframeAligned(Exception):
    """A segment's first packet is not a keyframe: it cannot be stream-copied."""


def _segment_packets(container: Any, stream: Any, seg: Segment, fps: int) -> list[Any]:
    """The packets of ``seg`` in decode order (pts within the span, half a frame of slack)."""
    tb = Fraction(stream.time_base)
    half = Fraction(1, 2 * fps)
    lo = Fraction(seg.start_s) - half
    hi = Fraction(seg.end_s) - half
    container.seek(max(0, int(lo / tb)), backward=True, any_frame=False, stream=stream)
    packets = []
    for packet in container.demux(stream):
        if packet.dts is None or packet.pts is None:
            continue  # the demuxer's flush packet
        t = packet.pts * tb
        if t < lo:
            continue
        if t >= hi:
            break
        packets.append(packet)
    if not packets:
        raise DatasetFormatError(
            f"{seg.path}: no video packet between {seg.start_s:.6f} s and {seg.end_s:.6f} s; "
            f"the episode's from/to timestamps do not match the file"
        )
    if not packets[0].is_keyframe:
        raise NotKeyframeAligned(f"{seg.path} @ {seg.start_s:.6f} s")
    return packets


def join_segments(segments: Sequence[Segment], output: Path, fps: int) -> list[tuple[float, float]]:
    """Write ``segments`` one after the other into ``output`` by stream copy.

    Returns each segment's ``(from_timestamp, to_timestamp)`` in ``output``. Raises
    :class:`NotKeyframeAligned` when a segment cannot be copied without re-encoding.
    """
    av = import_av()
    output.parent.mkdir(parents=True, exist_ok=True)
    spans: list[tuple[float, float]] = []
    sources: dict[Path, Any] = {}
    try:
        with av.open(str(output), "w", format="mp4", options={"movflags": "faststart"}) as out:
            out_stream = None
            out_tb = Fraction(1)
            next_start = 0  # output ticks where the next segment begins
            last_dts: int | None = None
            for seg in segments:
                src = sources.get(seg.path)
                if src is None:
                    src = sources[seg.path] = av.open(str(seg.path))
                in_stream = src.streams.video[0]
                if out_stream is None:
                    out_stream = out.add_stream_from_template(in_stream, opaque=True)
                    out_stream.time_base = in_stream.time_base
                    out_tb = Fraction(in_stream.time_base)
                packets = _segment_packets(src, in_stream, seg, fps)
                ratio = Fraction(in_stream.time_base) / out_tb
                first_pts = min(int(p.pts * ratio) for p in packets)
                first_dts = int(packets[0].dts * ratio)
                shift = next_start - first_pts
                if last_dts is not None and first_dts + shift <= last_dts:
                    shift = last_dts + 1 - first_dts  # keep dts strictly increasing
                start_s = float((first_pts + shift) * out_tb)
                length_s = seg.end_s - seg.start_s
                for packet in packets:
                    pts = int(packet.pts * ratio) + shift
                    dts = int(packet.dts * ratio) + shift
                    duration = int((packet.duration or 0) * ratio)
                    packet.pts, packet.dts = pts, dts
                    packet.duration = duration
                    packet.stream = out_stream
                    out.mux(packet)
                    last_dts = dts
                spans.append((start_s, start_s + length_s))
                next_start = first_pts + shift + round(Fraction(length_s) / out_tb)
    except BaseException:
        output.unlink(missing_ok=True)
        raise
    finally:
        for container in sources.values():
            with contextlib.suppress(Exception):
                container.close()
    return spans


def _segment_frames(seg: Segment, fps: int) -> Iterator[Any]:
    """The decoded frames of ``seg`` (PyAV frames, in order); raises when there are none."""
    av = import_av()
    count = 0
    with av.open(str(seg.path)) as src:
        in_stream = src.streams.video[0]
        tb = Fraction(in_stream.time_base)
        half = Fraction(1, 2 * fps)
        lo, hi = Fraction(seg.start_s) - half, Fraction(seg.end_s) - half
        src.seek(max(0, int(lo / tb)), backward=True, any_frame=False, stream=in_stream)
        for frame in src.decode(in_stream):
            if frame.pts is None:
                continue
            t = frame.pts * tb
            if t < lo:
                continue
            if t >= hi:
                break
            count += 1
            yield frame
    if count == 0:
        raise DatasetFormatError(
            f"{seg.path}: no video frame between {seg.start_s:.6f} s and {seg.end_s:.6f} s"
        )


def reencode_segments(
    segments: Sequence[Segment], output: Path, fps: int, encoder: VideoEncoderConfig
) -> list[tuple[float, float]]:
    """Decode ``segments`` and encode them into ``output`` (constant ``fps``, ``encoder``).

    Each segment restarts the frame count, so episode ``k`` spans
    ``[n_before / fps, (n_before + n_k) / fps)``. Returns those spans. ``libsvtav1`` encodes in
    a child process (:class:`~lr_dataset.video.encoder_process.ProcessEpisodeEncoder`: a hang
    costs a re-encode, not the tool run), fed RGB frames; other codecs encode here, from the
    decoded frames converted straight to ``encoder.pix_fmt``.

    Raises:
        DatasetFormatError: a segment holds no frame.
        VideoEncoderError: the encoder failed (in every process it was tried in).
    """
    output.parent.mkdir(parents=True, exist_ok=True)
    encoder.check_available()
    try:
        if encoder.vcodec in PROCESS_CODECS:
            return _reencode_in_child(segments, output, fps, encoder)
        return _reencode_here(segments, output, fps, encoder)
    except BaseException:
        output.unlink(missing_ok=True)
        raise


def _reencode_in_child(
    segments: Sequence[Segment], output: Path, fps: int, encoder: VideoEncoderConfig
) -> list[tuple[float, float]]:
    child = ProcessEpisodeEncoder(output, fps, encoder, compute_stats=False)
    spans: list[tuple[float, float]] = []
    written = 0
    try:
        for seg in segments:
            count = 0
            for frame in _segment_frames(seg, fps):
                child.put(frame.to_ndarray(format="rgb24"))
                count += 1
            spans.append((written / fps, (written + count) / fps))
            written += count
        child.finish()
    except BaseException:
        child.cancel()
        raise
    return spans


def _reencode_here(
    segments: Sequence[Segment], output: Path, fps: int, encoder: VideoEncoderConfig
) -> list[tuple[float, float]]:
    av = import_av()
    spans: list[tuple[float, float]] = []
    written = 0
    with GatedEncoding(encoder.vcodec, f"re-encoding {output}") as gated:
        out = av.open(str(output), "w", format="mp4")
        try:
            stream = None
            for seg in segments:
                count = 0
                for frame in _segment_frames(seg, fps):
                    if stream is None:
                        stream = out.add_stream(
                            encoder.vcodec, rate=fps, options=encoder.codec_options()
                        )
                        stream.width, stream.height = frame.width, frame.height
                        stream.pix_fmt = encoder.pix_fmt
                        stream.time_base = Fraction(1, fps)
                        gated.open(stream)
                    new = frame.reformat(format=encoder.pix_fmt)
                    new.pts = written + count
                    new.time_base = Fraction(1, fps)
                    for packet in gated.encode(stream, new):
                        out.mux(packet)
                    count += 1
                spans.append((written / fps, (written + count) / fps))
                written += count
            if stream is not None:
                for packet in gated.encode(stream, None):
                    out.mux(packet)
        finally:
            gated.close(out)
    return spans


def build_file(
    segments: Sequence[Segment], output: Path, fps: int, encoder: VideoEncoderConfig
) -> tuple[list[tuple[float, float]], bool]:
    """Stream-copy ``segments`` into ``output``, re-encoding only when that is impossible.

    Returns the spans and whether the file was re-encoded.
    """
    try:
        return join_segments(segments, output, fps), False
    except NotKeyframeAligned:
        return reencode_segments(segments, output, fps, encoder), True
