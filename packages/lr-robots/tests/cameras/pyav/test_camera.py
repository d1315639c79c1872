"""The ``av`` camera on inputs PyAV opens here: a real-time ``lavfi`` source and MP4 files.

There is no /dev/video* on this machine (and no loadable kernel modules for v4l2loopback), so
the V4L2 request itself is covered by ``test_devices.py``; everything after ``av.open`` (the
checks, decoding, colour, rotation, the capture thread) runs here on FFmpeg's own inputs.
"""

from __future__ import annotations

import numpy as np
import pytest

from lr_core.devices import CameraConfig
from lr_robots.cameras import CameraConnectionError, decode_stamp, make_cameras_from_configs
from lr_robots.cameras.pyav.camera import AVCamera
from lr_robots.cameras.pyav.config import AVCameraConfig

pytest.importorskip("av")


def _lavfi(graph: str, **kwargs) -> AVCamera:
    return AVCamera(AVCameraConfig(index_or_path=graph, input_format="lavfi", **kwargs))


def test_opencv_style_config_builds_an_av_camera():
    cfg = CameraConfig.from_dict(
        {
            "type": "av",
            "index_or_path": "0",
            "fps": 30,
            "width": 640,
            "height": 480,
            "color_mode": "rgb",
            "rotation": 0,
            "warmup_s": 1,
            "fourcc": "MJPG",
            "backend": "V4L2",
        }
    )
    cam = make_cameras_from_configs({"front": cfg})["front"]
    assert isinstance(cam, AVCamera) and cam.config.index_or_path == 0
    assert cam.input_format == "v4l2"
    with pytest.raises(Exception, match="fourcc must be 4 characters"):
        CameraConfig.from_dict({"type": "av", "index_or_path": 0, "fourcc": "MJPEG"})


def test_live_source_gives_frames_at_its_rate_with_size_from_the_stream():
    with _lavfi("testsrc2=size=320x240:rate=25,realtime") as cam:
        assert (cam.fps, cam.width, cam.height) == (25, 320, 240)
        assert cam.source is not None and cam.source.live  # handed over as they come
        frame = cam.async_read(timeout_ms=1000)
        first = cam.frame_count
        for _ in range(3):  # each async_read waits for a new frame
            frame = cam.async_read(timeout_ms=1000)
        assert cam.frame_count >= first + 3
        assert frame.shape == (240, 320, 3) and frame.dtype == np.uint8


@pytest.mark.parametrize(("mode", "expected"), [("rgb", (255, 0, 0)), ("bgr", (0, 0, 255))])
def test_color_mode_is_decoded_directly(mode, expected):
    with _lavfi("color=c=red:size=64x48:rate=30,realtime", color_mode=mode) as cam:
        pixel = cam.read_latest()[10, 10].astype(int)
    assert np.abs(pixel - expected).max() <= 3


def test_rotation_gives_the_requested_output_size():
    with _lavfi(
        "testsrc2=size=320x240:rate=30,realtime", width=240, height=320, rotation=90
    ) as cam:
        assert cam.read_latest().shape == (320, 240, 3)


def test_a_device_that_ignores_the_requested_size_or_rate_is_an_error():
    cam = _lavfi("testsrc2=size=320x240:rate=30,realtime", width=640, height=480)
    cam.is_device = True  # judge the source as strictly as a camera device
    with pytest.raises(CameraConnectionError, match="delivers 320x240, not the requested 640x480"):
        cam.connect()
    assert not cam.is_connected
    cam = _lavfi("testsrc2=size=320x240:rate=30,realtime", fps=60)
    cam.is_device = True
    with pytest.raises(CameraConnectionError, match="30.000 fps, not the requested 60"):
        cam.connect()


def test_a_missing_device_names_find_cameras():
    cam = AVCamera(AVCameraConfig(index_or_path="/dev/video99"))
    with pytest.raises(CameraConnectionError, match="does not exist.*lr find-cameras"):
        cam.connect()
    with pytest.raises(CameraConnectionError, match="cannot be opened"):
        _lavfi("no_such_filter=1").connect()


def test_a_video_file_plays_at_its_own_rate(stamped_video):
    path = stamped_video(n=20, fps=40)
    with AVCamera(AVCameraConfig(index_or_path=path, warmup_s=0)) as cam:
        assert cam.fps == 40
        assert cam.source is not None and not cam.source.live  # paced: test_source.py
        first = decode_stamp(cam.async_read(timeout_ms=1000))[0]
        for _ in range(10):
            last = decode_stamp(cam.async_read(timeout_ms=1000))[0]
    assert last > first


def test_find_cameras_reports_each_openable_device(monkeypatch, stamped_video):
    path = stamped_video(n=5, fps=30, width=96, height=64)
    monkeypatch.setattr(
        "lr_robots.cameras.pyav.camera.list_device_targets", lambda: [str(path), "/nonexistent"]
    )
    found = AVCamera.find_cameras()
    assert len(found) == 1
    profile = found[0]["default_stream_profile"]
    assert (profile["width"], profile["height"], profile["fps"]) == (96, 64, 30.0)
    assert found[0]["type"] == "av" and found[0]["id"] == str(path)
