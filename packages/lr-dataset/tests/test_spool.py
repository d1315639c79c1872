"""The raw frame spool: memory up to a bound, then a file; never overwrites kept frames."""

from __future__ import annotations

import numpy as np
import pytest

from lr_dataset.video.spool import RawSpool


def _frames(n: int) -> list[np.ndarray]:
    return [
        np.full((4, 6, 3), i, np.uint8) + np.arange(6, dtype=np.uint8)[:, None] for i in range(n)
    ]


def test_frames_stay_in_memory_up_to_the_bound_then_all_go_to_the_file(tmp_path):
    frames = _frames(10)
    spool = RawSpool(tmp_path / "a.4x6.rgb24", memory_bytes=3 * frames[0].nbytes)
    for f in frames[:3]:
        spool.append(f)
    assert not spool.on_disk and not spool.path.exists()
    for f in frames[3:]:
        spool.append(f)
    assert spool.on_disk and spool.frames == 10
    for got, want in zip(spool, frames, strict=True):
        np.testing.assert_array_equal(got, want)
    spool.discard()
    assert not (tmp_path / "a.4x6.rgb24").exists()


def test_persist_writes_every_frame_readable_as_the_error_message_says(tmp_path):
    frames = _frames(5)
    spool = RawSpool(tmp_path / "b.4x6.rgb24")
    for f in frames:
        spool.append(f)
    path = spool.persist()
    np.testing.assert_array_equal(np.fromfile(path, np.uint8).reshape(-1, 4, 6, 3), frames)
    again = RawSpool(tmp_path / "b.4x6.rgb24", memory_bytes=0)  # the same name, later
    again.append(frames[0])
    assert again.path.name == "b.4x6-1.rgb24"
    assert path.stat().st_size == 5 * frames[0].nbytes  # the kept frames are untouched


def test_a_frame_of_another_shape_or_dtype_is_refused(tmp_path):
    spool = RawSpool(tmp_path / "c.rgb24")
    spool.append(_frames(1)[0])
    with pytest.raises(ValueError, match="expected"):
        spool.append(np.zeros((5, 6, 3), np.uint8))
    with pytest.raises(ValueError, match="uint8"):
        spool.append(np.zeros((4, 6, 3), np.float32))
