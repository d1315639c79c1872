"""The ``video_file`` camera: real MP4s replayed at their rate, looping or ending."""

from __future__ import annotations

import itertools

import pytest

from lr_core.devices import CameraConfig
from lr_robots.cameras import CameraConnectionError, decode_stamp, make_cameras_from_configs
from lr_robots.cameras.video_file.camera import VideoFileCamera
from lr_robots.cameras.video_file.config import VideoFileCameraConfig

pytest.importorskip("av")


def _camera(path, **kwargs) -> VideoFileCamera:
    return VideoFileCamera(VideoFileCameraConfig(path=path, **kwargs))


def _indices_until_end(cam: VideoFileCamera) -> list[int]:
    """Stamp indices read with ``async_read`` until the file ends (a reader descheduled for
    more than a frame skips frames: the newest wins, as with a camera)."""
    seen = []
    while True:
        try:
            seen.append(decode_stamp(cam.async_read(timeout_ms=1000))[0])
        except TimeoutError as exc:
            assert "source has ended" in str(exc)
            return seen


def test_replays_the_frames_in_order_at_the_file_rate(stamped_video):
    path = stamped_video(n=30, fps=30)
    with _camera(path, loop=False) as cam:
        assert (cam.fps, cam.width, cam.height) == (30, 160, 128)
        assert cam.source is not None and not cam.source.live  # paced by timestamp
        indices = _indices_until_end(cam)
    assert indices == sorted(set(indices)) and indices[-1] == 29  # stamps survived H.264
    # the pacing itself (frame k at k / fps) is checked on a fake clock in
    # tests/cameras/pyav/test_source.py, not measured here on a possibly loaded machine


def test_loops_back_to_the_first_frame(stamped_video):
    path = stamped_video(n=10, fps=60)
    with _camera(path, loop=True) as cam:
        indices = [decode_stamp(cam.async_read(timeout_ms=1000))[0] for _ in range(25)]
    wraps = [i for i in range(1, len(indices)) if indices[i] < indices[i - 1]]
    assert len(wraps) >= 1  # it started again
    for a, b in itertools.pairwise([0, *wraps, len(indices)]):
        assert indices[a:b] == sorted(set(indices[a:b]))  # in order within each pass


def test_scales_to_the_requested_size_and_checks_fps(stamped_video):
    path = stamped_video(n=4, fps=30)
    with _camera(path, width=80, height=64) as cam:
        assert cam.read_latest().shape == (64, 80, 3)
    with pytest.raises(CameraConnectionError, match="30.000 fps, not the requested 25"):
        _camera(path, fps=25).connect()


def test_registered_type_and_missing_file(tmp_path, stamped_video):
    path = stamped_video(n=3, fps=30)
    cfg = CameraConfig.from_dict({"type": "video_file", "path": str(path), "rotation": 180})
    cam = make_cameras_from_configs({"c": cfg})["c"]
    assert isinstance(cam, VideoFileCamera)
    with pytest.raises(CameraConnectionError, match="does not exist"):
        _camera(tmp_path / "missing.mp4").connect()
