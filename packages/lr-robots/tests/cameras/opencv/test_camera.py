"""The ``opencv`` camera on real MP4 files (no camera device on this machine)."""

from __future__ import annotations

import sys

import numpy as np
import pytest

cv2 = pytest.importorskip("cv2")
pytest.importorskip("av")

from lr_core.devices import CameraConfig  # noqa: E402
from lr_core.errors import MissingDependencyError  # noqa: E402
from lr_robots.cameras import CameraConnectionError, decode_stamp, make_cameras_from_configs  # noqa: E402
from lr_robots.cameras.configs import ColorMode, Cv2Rotation  # noqa: E402
from lr_robots.cameras.frames import postprocess  # noqa: E402
from lr_robots.cameras.opencv.camera import OpenCVCamera  # noqa: E402
from lr_robots.cameras.opencv.config import OpenCVCameraConfig  # noqa: E402
from lr_robots.cameras.synthetic.pattern import PatternGenerator  # noqa: E402


def _camera(path, **kwargs) -> OpenCVCamera:
    return OpenCVCamera(OpenCVCameraConfig(index_or_path=path, warmup_s=0, **kwargs))


def test_our_rotation_and_colour_match_cv2():
    img = np.random.default_rng(0).integers(0, 256, (6, 10, 3), dtype=np.uint8)
    cases = {
        Cv2Rotation.ROTATE_90: cv2.ROTATE_90_CLOCKWISE,
        Cv2Rotation.ROTATE_180: cv2.ROTATE_180,
        Cv2Rotation.ROTATE_270: cv2.ROTATE_90_COUNTERCLOCKWISE,
    }
    for ours, theirs in cases.items():
        expected = cv2.rotate(cv2.cvtColor(img, cv2.COLOR_BGR2RGB), theirs)
        assert np.array_equal(postprocess(img, ColorMode.BGR, ColorMode.RGB, ours), expected)


@pytest.mark.parametrize("mode", ["rgb", "bgr"])
def test_frames_of_a_video_file_in_order_and_in_colour(stamped_video, mode):
    path = stamped_video(n=5, fps=30)
    with _camera(path, color_mode=mode) as cam:
        frames = [cam.async_read(timeout_ms=2000) for _ in range(1)]
        assert (cam.width, cam.height, cam.fps) == (160, 128, 30)
    frame = frames[0] if mode == "rgb" else frames[0][..., ::-1]
    index, stamp = decode_stamp(frame)
    expected = PatternGenerator(160, 128).frame(index, stamp).astype(int)
    assert np.abs(frame.astype(int) - expected).mean() < 6


def test_end_of_a_file_and_rotation(stamped_video):
    path = stamped_video(n=3, fps=30)
    with _camera(path, rotation=-90) as cam:
        assert cam.read_latest(max_age_ms=10_000).shape == (160, 128, 3)
        with pytest.raises(TimeoutError, match="source has ended"):
            for _ in range(5):
                cam.async_read(timeout_ms=500)


def test_settings_the_source_refuses_are_errors(stamped_video, tmp_path):
    path = stamped_video(n=3, fps=30)
    with pytest.raises(CameraConnectionError, match="failed to set width=640"):
        _camera(path, width=640, height=480).connect()
    with pytest.raises(CameraConnectionError, match="lr find-cameras opencv"):
        _camera(tmp_path / "nothing.mp4").connect()


def test_registered_and_found(monkeypatch, stamped_video):
    path = stamped_video(n=3, fps=30)
    cfg = CameraConfig.from_dict({"type": "opencv", "index_or_path": str(path), "backend": 0})
    assert isinstance(make_cameras_from_configs({"c": cfg})["c"], OpenCVCamera)
    monkeypatch.setattr("lr_robots.cameras.opencv.camera._targets", lambda: [str(path)])
    (found,) = OpenCVCamera.find_cameras()
    assert found["type"] == "OpenCV" and found["default_stream_profile"]["width"] == 160


def test_a_missing_opencv_names_the_extra(monkeypatch, stamped_video):
    monkeypatch.setitem(sys.modules, "cv2", None)
    with pytest.raises(MissingDependencyError, match=r"lr-robots\[opencv\]"):
        _camera(stamped_video(n=2)).connect()
