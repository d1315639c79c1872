"""Joining episode segments of MP4 files: stream copy, and the re-encode fallback."""

from __future__ import annotations

from fractions import Fraction

import av
import numpy as np

from lr_dataset.testing import image
from lr_dataset.tools.video_segments import Segment, build_file, join_segments
from lr_dataset.video import VideoDecoder, VideoEncoderConfig


def _encode(path, frames, fps=30, g=2):
    with av.open(str(path), "w", format="mp4") as out:
        stream = out.add_stream("h264", rate=fps, options={"g": str(g), "crf": "10"})
        stream.width, stream.height = frames[0].shape[1], frames[0].shape[0]
        stream.pix_fmt = "yuv420p"
        stream.time_base = Fraction(1, fps)
        for i, f in enumerate(frames):
            vf = av.VideoFrame.from_ndarray(f, format="rgb24")
            vf.pts = i
            for p in stream.encode(vf):
                out.mux(p)
        for p in stream.encode():
            out.mux(p)


def _decode_all(path, n, fps=30):
    return VideoDecoder().decode(path, [i / fps for i in range(n)], 1e-4)


def test_stream_copy_is_bit_exact_and_reorders(tmp_path):
    a, b = tmp_path / "a.mp4", tmp_path / "b.mp4"
    frames_a = [image(0, i, 32, 48) for i in range(6)]
    frames_b = [image(1, i, 32, 48) for i in range(4)]
    _encode(a, frames_a, g=3)  # keyframes at 0 and 3: "episodes" of 3 frames
    _encode(b, frames_b, g=4)
    out = tmp_path / "out.mp4"
    spans = join_segments([Segment(b, 0, 4 / 30), Segment(a, 0.1, 0.2)], out, 30)
    assert spans[0] == (0.0, 4 / 30)
    assert spans[1][0] == np.float64(spans[1][0]) and abs(spans[1][0] - 4 / 30) < 1e-6
    got = _decode_all(out, 7)
    expected = np.concatenate([_decode_all(b, 4), _decode_all(a, 6)[3:6]])
    np.testing.assert_array_equal(got, expected)


def test_segment_without_keyframe_is_reencoded(tmp_path):
    src = tmp_path / "one_gop.mp4"
    frames = [image(0, i, 32, 48) for i in range(12)]
    _encode(src, frames, g=30)  # one keyframe: frame 6 depends on earlier frames
    out = tmp_path / "out.mp4"
    spans, reencoded = build_file(
        [Segment(src, 0.2, 0.4)], out, 30, VideoEncoderConfig(vcodec="h264", crf=10)
    )
    assert reencoded and spans == [(0.0, 0.2)]
    got = _decode_all(out, 6)
    ref = _decode_all(src, 12)[6:]
    assert np.abs(got.astype(int) - ref.astype(int)).mean() < 3
