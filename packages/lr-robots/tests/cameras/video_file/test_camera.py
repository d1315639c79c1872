"""The ``video_file`` camera: real MP4s replayed at their rate, looping or ending."""

from __future__ import annotations

import time

import pytest

from lr_core.devices import CameraConfig
from lr_robots.cameras import CameraConnectionError, decode_stamp, make_cameras_from_configs
from lr_robots.cameras.video_file.camera import VideoFileCamera
from lr_robots.cameras.video_file.config import VideoFileCameraConfig

pytest.importorskip("av")


def _camera(path, **kwargs) -> VideoFileCamera:
    return VideoFileCamera(VideoFileCameraConfig(path=path, **kwargs))


def test_replays_every_frame_in_order_at_the_file_rate(stamped_video):
    path = stamped_video(n=12, fps=30)
    with _camera(path, loop=False) as cam:
        assert (cam.fps, cam.width, cam.height) == (30, 160, 128)
        start = time.perf_counter()
        indices = [decode_stamp(cam.async_read(timeout_ms=1000))[0] for _ in range(12)]
        elapsed = time.perf_counter() - start
        assert indices == list(range(12))  # stamps survived H.264
        with pytest.raises(TimeoutError, match="source has ended"):
            cam.async_read(timeout_ms=200)
    assert elapsed == pytest.approx(11 / 30, rel=0.3)


def test_loops_back_to_the_first_frame(stamped_video):
    path = stamped_video(n=6, fps=60)
    with _camera(path, loop=True) as cam:
        indices = [decode_stamp(cam.async_read(timeout_ms=1000))[0] for _ in range(14)]
    assert indices[:6] == list(range(6))
    assert indices[6:12] == list(range(6))


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
