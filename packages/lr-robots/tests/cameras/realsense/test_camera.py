"""The ``intelrealsense`` camera on RealSense recordings made here with pyrealsense2.

No RealSense device exists on this machine; librealsense's software device and recorder write
a real recording (colour rgb8 + depth z16) that the camera plays back through the same
``rs.pipeline`` a device uses. Colour frames carry the synthetic stamp; depth is
``1000 + frame index`` mm everywhere. librealsense's real-time playback does not keep the two
recorded streams in step under load (one frameset held colour 13 with depth 40), so that
colour and depth of one *device* frameset match is not something these tests can check.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

rs = pytest.importorskip("pyrealsense2")

from lr_core.devices import CameraConfig  # noqa: E402
from lr_core.errors import ConfigError  # noqa: E402
from lr_robots.cameras import CameraConnectionError, decode_stamp  # noqa: E402
from lr_robots.cameras.realsense.camera import RealSenseCamera  # noqa: E402
from lr_robots.cameras.realsense.config import RealSenseCameraConfig  # noqa: E402
from lr_robots.cameras.synthetic.pattern import PatternGenerator  # noqa: E402

W, H, FPS = 96, 64, 30


def _intrinsics() -> object:
    intr = rs.intrinsics()
    intr.width, intr.height, intr.fx, intr.fy, intr.ppx, intr.ppy = W, H, 60, 60, W / 2, H / 2
    intr.model, intr.coeffs = rs.distortion.none, [0.0] * 5
    return intr


def _stream(kind, uid, fmt, bpp) -> object:
    vs = rs.video_stream()
    vs.type, vs.uid, vs.index, vs.width, vs.height, vs.fps = kind, uid, 0, W, H, FPS
    vs.bpp, vs.fmt, vs.intrinsics = bpp, fmt, _intrinsics()
    return vs


def record(path: Path, frames: int = 300) -> Path:
    """A RealSense recording of ``frames`` colour + depth framesets at 30 fps.

    Long enough (10 s) that the reads of a test happen within the first pass: where the
    playback loops, librealsense repeats the last depth map for a while."""
    device = rs.software_device()
    device.register_info(rs.camera_info.serial_number, "123456789")
    device.register_info(rs.camera_info.name, "lr test camera")
    color_sensor = device.add_sensor("RGB Camera")
    depth_sensor = device.add_sensor("Stereo Module")
    color_profile = color_sensor.add_video_stream(_stream(rs.stream.color, 0, rs.format.rgb8, 3))
    depth_profile = depth_sensor.add_video_stream(_stream(rs.stream.depth, 1, rs.format.z16, 2))
    depth_sensor.add_read_only_option(rs.option.depth_units, 0.001)
    recorder = rs.recorder(str(path), device)
    queue = rs.frame_queue(frames * 2)
    rec_color, rec_depth = recorder.query_sensors()
    for sensor in (rec_color, rec_depth):
        sensor.open(sensor.get_stream_profiles()[0])
        sensor.start(queue)
    gen = PatternGenerator(W, H)
    for i in range(frames):
        for sensor, profile, pixels, bpp in (
            (color_sensor, color_profile, gen.frame(i, float(i)), 3),
            (depth_sensor, depth_profile, np.full((H, W), 1000 + i, np.uint16), 2),
        ):
            frame = rs.software_video_frame()
            frame.pixels, frame.bpp, frame.stride = pixels.tobytes(), bpp, W * bpp
            frame.timestamp, frame.frame_number = i * 1000 / FPS, i
            frame.domain = rs.timestamp_domain.hardware_clock
            frame.profile = profile.as_video_stream_profile()
            if bpp == 2:
                frame.depth_units = 0.001
            sensor.on_video_frame(frame)
    for sensor in (rec_color, rec_depth):
        sensor.stop()
        sensor.close()
    del recorder
    return path


@pytest.fixture(scope="module")
def recording(tmp_path_factory) -> Path:
    return record(tmp_path_factory.mktemp("rs") / "camera.db3")


def _camera(recording: Path, **kwargs) -> RealSenseCamera:
    cfg = {"serial_number_or_name": str(recording), "warmup_s": 0, **kwargs}
    return RealSenseCamera(RealSenseCameraConfig(**cfg))


def test_colour_and_depth_stream_together(recording):
    with _camera(recording, use_depth=True) as cam:
        assert (cam.width, cam.height, cam.fps) == (W, H, FPS)
        seen = []
        for _ in range(4):
            color = cam.async_read(timeout_ms=2000)
            depth = cam.async_read_depth(timeout_ms=2000)  # colour reads do not consume depth
            index, _ = decode_stamp(color)
            assert depth.shape == (H, W, 1) and depth.dtype == np.uint16
            assert 1000 <= int(depth[0, 0, 0]) < 1300 and np.all(depth == depth[0, 0, 0])
            seen.append(index)
        # framesets advance (playback may repeat a colour frame in a new frameset)
        assert seen == sorted(seen) and len(set(seen)) >= 2
        expected = PatternGenerator(W, H).frame(index, float(index))
        assert np.array_equal(color, expected)  # rgb8 is lossless
        assert cam.read_depth().shape == (H, W, 1)


def test_rotation_and_bgr_apply_to_colour_and_depth(recording):
    with _camera(recording, use_depth=True, rotation=90, color_mode="bgr") as cam:
        assert (cam.width, cam.height) == (H, W)
        color = cam.async_read(timeout_ms=2000)
        depth = cam.read_latest_depth(max_age_ms=2000)
    assert color.shape == (W, H, 3) and depth.shape == (W, H, 1)
    index, _ = decode_stamp(color[..., ::-1])
    upright = np.rot90(color, k=1)[..., ::-1]
    assert np.array_equal(upright, PatternGenerator(W, H).frame(index, float(index)))


def test_depth_only_camera_refuses_colour_reads(recording):
    with _camera(recording, use_rgb=False, use_depth=True) as cam:
        assert cam.async_read_depth(timeout_ms=2000).dtype == np.uint16
        with pytest.raises(RuntimeError, match="use_rgb=false"):
            cam.read_latest()
    with _camera(recording) as cam, pytest.raises(RuntimeError, match="use_depth=false"):
        cam.read_latest_depth()


def test_requested_profile_and_missing_recording(recording, tmp_path):
    with _camera(recording, fps=FPS, width=W, height=H) as cam:
        assert cam.read_latest(max_age_ms=2000).shape == (H, W, 3)
    with pytest.raises(CameraConnectionError, match="does not exist"):
        _camera(tmp_path / "none.db3").connect()


def test_lerobot_config_rules():
    base = {"type": "intelrealsense", "serial_number_or_name": "0123456789"}
    assert CameraConfig.from_dict(base).use_rgb is True
    for bad, message in (
        ({"use_rgb": False}, "at least one of use_rgb and use_depth"),
        ({"fps": 30}, "all set or all left unset"),
        ({"use_rgb": False, "use_depth": True, "exposure": 100}, "need use_rgb=true"),
    ):
        with pytest.raises(ConfigError, match=message):
            CameraConfig.from_dict({**base, **bad})


def test_no_device_here_and_an_unknown_name():
    assert RealSenseCamera.find_cameras() == []
    cam = RealSenseCamera(RealSenseCameraConfig(serial_number_or_name="Intel RealSense D435"))
    with pytest.raises(ConfigError, match="no RealSense camera named"):
        cam.connect()
