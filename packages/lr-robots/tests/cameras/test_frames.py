"""Frame post-processing: rotation direction, channel order, size checks, config parsing."""

from __future__ import annotations

import numpy as np
import pytest

from lr_core.devices import CameraConfig
from lr_core.errors import ConfigError
from lr_robots.cameras.configs import ColorMode, Cv2Rotation
from lr_robots.cameras.frames import capture_size, check_frame, postprocess


def _image() -> np.ndarray:
    img = np.zeros((2, 3, 3), np.uint8)
    img[0, 0] = (255, 0, 0)  # top-left red (RGB)
    img[1, 2] = (0, 0, 255)  # bottom-right blue
    return img


def test_rotate_90_is_clockwise_like_cv2():
    out = postprocess(_image(), ColorMode.RGB, ColorMode.RGB, Cv2Rotation.ROTATE_90)
    assert out.shape == (3, 2, 3)
    assert tuple(out[0, 1]) == (255, 0, 0)  # top-left went to top-right
    assert out.flags["C_CONTIGUOUS"]


def test_rotate_270_is_counter_clockwise_and_180_flips_both_axes():
    ccw = postprocess(_image(), ColorMode.RGB, ColorMode.RGB, Cv2Rotation.ROTATE_270)
    assert tuple(ccw[2, 0]) == (255, 0, 0)  # top-left went to bottom-left
    half = postprocess(_image(), ColorMode.RGB, ColorMode.RGB, Cv2Rotation.ROTATE_180)
    assert tuple(half[1, 2]) == (255, 0, 0) and tuple(half[0, 0]) == (0, 0, 255)


def test_bgr_reverses_channels_and_no_op_returns_the_same_array():
    img = _image()
    assert postprocess(img, ColorMode.RGB, ColorMode.RGB, Cv2Rotation.NO_ROTATION) is img
    bgr = postprocess(img, ColorMode.RGB, ColorMode.BGR, Cv2Rotation.NO_ROTATION)
    assert tuple(bgr[0, 0]) == (0, 0, 255) and bgr.flags["C_CONTIGUOUS"]


def test_capture_size_swaps_for_quarter_turns():
    assert capture_size(640, 480, Cv2Rotation.ROTATE_90) == (480, 640)
    assert capture_size(640, 480, Cv2Rotation.ROTATE_270) == (480, 640)
    assert capture_size(640, 480, Cv2Rotation.ROTATE_180) == (640, 480)


def test_check_frame_names_the_camera_and_sizes():
    check_frame(np.zeros((4, 5, 3), np.uint8), 5, 4, "cam")
    with pytest.raises(RuntimeError, match=r"cam: frame is 5x4, expected 6x4"):
        check_frame(np.zeros((4, 5, 3), np.uint8), 6, 4, "cam")
    with pytest.raises(RuntimeError, match="uint8"):
        check_frame(np.zeros((4, 5), np.uint8), None, None, "cam")


def test_configs_take_lerobot_values_and_reject_others():
    cfg = CameraConfig.from_dict(
        {"type": "synthetic", "rotation": 270, "color_mode": "BGR", "fps": 15}
    )
    assert cfg.rotation == Cv2Rotation.ROTATE_270 and cfg.color_mode == ColorMode.BGR
    assert CameraConfig.from_dict({"type": "synthetic", "rotation": -90}).rotation == -90
    with pytest.raises(ConfigError, match="rotation"):
        CameraConfig.from_dict({"type": "synthetic", "rotation": 45})
    with pytest.raises(ConfigError, match="color_mode"):
        CameraConfig.from_dict({"type": "synthetic", "color_mode": "gray"})
    with pytest.raises(ConfigError, match="fps"):
        CameraConfig.from_dict({"type": "synthetic", "fps": 0})
    with pytest.raises(ConfigError, match="unknown key"):
        CameraConfig.from_dict({"type": "synthetic", "fsp": 30})
