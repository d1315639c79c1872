"""The ``av`` camera's platform-specific part: device URLs and FFmpeg options per system."""

from __future__ import annotations

import pytest

from lr_core.errors import ConfigError
from lr_robots.cameras.configs import Cv2Backends
from lr_robots.cameras.pyav.devices import input_options, list_device_targets, resolve_input


def test_an_index_is_the_system_camera_device():
    assert resolve_input(0, system="Linux") == ("/dev/video0", "v4l2", True)
    assert resolve_input("4", system="Linux") == ("/dev/video4", "v4l2", True)
    assert resolve_input(1, system="Darwin") == ("1", "avfoundation", True)
    with pytest.raises(ConfigError, match="video=<camera name>"):
        resolve_input(0, system="Windows")


def test_paths_urls_and_forced_formats():
    assert resolve_input("/dev/video2", system="Linux") == ("/dev/video2", "v4l2", True)
    assert resolve_input("clip.mp4", system="Linux") == ("clip.mp4", None, False)
    assert resolve_input("rtsp://10.0.0.2/cam", system="Linux") == (
        "rtsp://10.0.0.2/cam",
        None,
        False,
    )
    assert resolve_input("video=USB Cam", system="Windows") == ("video=USB Cam", "dshow", True)
    assert resolve_input(0, Cv2Backends.AVFOUNDATION, system="Linux")[1] == "avfoundation"
    assert resolve_input("testsrc", input_format="lavfi") == ("testsrc", "lavfi", False)
    with pytest.raises(ConfigError, match="MSMF has no FFmpeg input"):
        resolve_input(0, Cv2Backends.MSMF, system="Windows")


def test_options_ask_for_size_rate_and_fourcc():
    assert input_options("v4l2", 30, 640, 480, "MJPG") == {
        "video_size": "640x480",
        "framerate": "30",
        "input_format": "mjpeg",
    }
    assert input_options("avfoundation", 30, None, None, "YUYV") == {
        "framerate": "30",
        "pixel_format": "yuyv422",
    }
    assert "pixel_format" not in input_options("avfoundation", 30, 640, 480, "MJPG")
    assert input_options("dshow", None, None, None, "MJPG") == {"vcodec": "mjpeg"}
    assert input_options(None, 30, 640, 480, "MJPG") == {}
    with pytest.raises(ConfigError, match="fourcc 'ABCD'"):
        input_options("v4l2", 30, 640, 480, "ABCD")


def test_device_listing_per_system():
    assert list_device_targets("Darwin", max_index=3) == [0, 1, 2]
    assert list_device_targets("Windows") == []
    assert all(str(t).startswith("/dev/video") for t in list_device_targets("Linux"))
