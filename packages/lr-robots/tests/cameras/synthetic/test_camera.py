"""The synthetic camera through the capture-thread contract: rate, freshness, faults."""

from __future__ import annotations

import time

import numpy as np
import pytest

from lr_core.errors import DeviceAlreadyConnectedError, DeviceNotConnectedError
from lr_robots.cameras import (
    CameraCaptureError,
    SyntheticCamera,
    SyntheticCameraConfig,
    decode_stamp,
)


def _camera(**kwargs) -> SyntheticCamera:
    return SyntheticCamera(SyntheticCameraConfig(**kwargs))


def test_frames_come_at_the_configured_rate():
    with _camera(fps=50, width=160, height=120) as cam:
        stamps = [decode_stamp(cam.async_read(timeout_ms=1000)) for _ in range(25)]
    indices = [s[0] for s in stamps]
    times = [s[1] for s in stamps]
    assert indices == sorted(set(indices))  # each frame once, in order
    # frame k is due at t0 + k / fps: the stamps' times follow the slot numbers
    expected = (indices[-1] - indices[0]) / 50
    assert times[-1] - times[0] == pytest.approx(expected, abs=0.05)


def test_async_read_never_returns_a_frame_twice_and_read_waits_for_a_new_one():
    with _camera(fps=100, width=64, height=48) as cam:
        first = decode_stamp(cam.async_read(timeout_ms=1000))
        second = decode_stamp(cam.async_read(timeout_ms=1000))
        assert second[0] > first[0]
        before = time.time()
        fresh = decode_stamp(cam.read())
        assert fresh[1] >= before - 0.002 and fresh[0] > second[0]


def test_read_latest_is_fresh_and_shape_follows_rotation():
    with _camera(fps=30, width=640, height=480, rotation=90, color_mode="bgr") as cam:
        with cam._cond:  # no frame can be published meanwhile: the newest, whatever the load
            frame = cam.read_latest(max_age_ms=60_000)
            assert frame is cam.latest_frame
        assert frame.shape == (480, 640, 3) and frame.dtype == np.uint8
        _, stamp = decode_stamp(frame)
        assert stamp <= time.time()
        assert cam.read_latest() is cam.read_latest()  # no copy between frames


def test_rotation_and_color_mode_apply_to_the_generated_pattern():
    with _camera(fps=30, width=64, height=48, rotation=90, color_mode="bgr") as cam:
        rotated = cam.read_latest()
    assert rotated.shape == (48, 64, 3)
    # upright capture was 48 wide x 64 high; undo the clockwise turn and the BGR order
    upright = np.rot90(rotated, k=1)[..., ::-1]
    assert upright.shape == (64, 48, 3)
    assert upright[0, 0].tolist() == [255, 255, 255] or upright[0, 0].tolist() == [0, 0, 0]
    # the gradient's green channel grows downward in the upright RGB pattern
    assert upright[-1, -1, 1] > upright[40, -1, 1]


def test_a_stalled_camera_makes_read_latest_time_out():
    with _camera(fps=100, width=64, height=48, stall_after_frames=3) as cam:
        deadline = time.monotonic() + 5
        while True:
            try:
                cam.read_latest(max_age_ms=50)
            except TimeoutError as exc:
                assert "max_age_ms=50" in str(exc)
                break
            assert time.monotonic() < deadline, "read_latest never reported the stall"
        cam.async_read(timeout_ms=100)  # the last frame, not yet consumed
        with pytest.raises(TimeoutError, match="no new frame"):
            cam.async_read(timeout_ms=100)


def test_a_failing_camera_raises_a_capture_error_naming_the_cause():
    with _camera(fps=200, width=64, height=48, fail_after_frames=2) as cam:
        with pytest.raises(CameraCaptureError, match="stopped answering"):
            for _ in range(100):
                cam.async_read(timeout_ms=1000)
        with pytest.raises(CameraCaptureError):
            cam.read_latest(max_age_ms=10_000)


def test_connection_state_errors_and_reconnect():
    cam = _camera(fps=100, width=64, height=48)
    with pytest.raises(DeviceNotConnectedError):
        cam.read_latest()
    with pytest.raises(DeviceNotConnectedError):
        cam.disconnect()
    cam.connect()
    with pytest.raises(DeviceAlreadyConnectedError):
        cam.connect()
    cam.disconnect()
    assert not cam.is_connected
    cam.connect(warmup=False)
    assert cam.async_read(timeout_ms=1000).shape == (48, 64, 3)
    cam.disconnect()


def test_warmup_waits_for_warmup_s():
    cam = _camera(fps=100, width=64, height=48, warmup_s=0.3)
    start = time.perf_counter()
    cam.connect()
    try:
        assert time.perf_counter() - start >= 0.3
        assert cam.frame_count >= 10
    finally:
        cam.disconnect()


def test_find_cameras_lists_one_synthetic_camera():
    found = SyntheticCamera.find_cameras()
    assert [c["type"] for c in found] == ["synthetic"]


def test_the_loop_reads_the_newest_frame_while_the_capture_thread_is_busy_making_one():
    """A control loop calls ``read_latest`` every step: it takes a reference to the newest
    480x640 frame (no copy) and never waits for the capture thread, even mid-frame."""
    import threading

    from lr_robots.cameras.synthetic.camera import SyntheticCamera
    from lr_robots.cameras.synthetic.config import SyntheticCameraConfig

    class SlowFrames(SyntheticCamera):
        """The second frame takes until the test lets it finish."""

        def __init__(self, config: SyntheticCameraConfig) -> None:
            super().__init__(config)
            self.busy, self.finish = threading.Event(), threading.Event()

        def _grab(self) -> np.ndarray:
            frame = super()._grab()
            if self._delivered == 2:
                self.held = frame
                self.busy.set()
                self.finish.wait(10)
            return frame

    cam = SlowFrames(SyntheticCameraConfig(fps=100, width=640, height=480))
    cam.connect()
    try:
        assert cam.busy.wait(5), "the capture thread never reached its second frame"
        got: list[np.ndarray] = []
        reader = threading.Thread(target=lambda: got.append(cam.read_latest(max_age_ms=10_000)))
        reader.start()
        reader.join(5)
        assert not reader.is_alive(), "read_latest waited for the capture thread"
        assert got[0] is cam.latest_frame and got[0].shape == (480, 640, 3)
        # the first frame, while the second is being made
        assert decode_stamp(got[0])[0] < decode_stamp(cam.held)[0]
    finally:
        cam.finish.set()
        cam.disconnect()
