"""The ``zmq`` camera against lr's image server over real ZeroMQ sockets on 127.0.0.1."""

from __future__ import annotations

import time

import numpy as np
import pytest

pytest.importorskip("av")
zmq = pytest.importorskip("zmq")

from lr_core.devices import CameraConfig  # noqa: E402
from lr_robots.cameras import (  # noqa: E402
    CameraCaptureError,
    CameraConnectionError,
    SyntheticCamera,
    SyntheticCameraConfig,
    decode_stamp,
    make_cameras_from_configs,
)
from lr_robots.cameras.zmq.camera import ZMQCamera  # noqa: E402
from lr_robots.cameras.zmq.config import ZMQCameraConfig  # noqa: E402
from lr_robots.cameras.zmq.server import ImageServer  # noqa: E402


def _synthetic(**kwargs) -> SyntheticCamera:
    return SyntheticCamera(
        SyntheticCameraConfig(**{"fps": 30, "width": 160, "height": 128, **kwargs})
    )


def _client(port: int, **kwargs) -> ZMQCamera:
    cfg = {"server_address": "127.0.0.1", "port": port, "warmup_s": 0, **kwargs}
    return ZMQCamera(ZMQCameraConfig(**cfg))


def test_frames_cross_the_socket_in_order_with_their_stamps():
    server = ImageServer({"head": _synthetic()}, port=0, fps=30)
    with server, _client(server.port, camera_name="head") as cam:
        assert (cam.width, cam.height) == (160, 128)  # from the first frame
        stamps = [decode_stamp(cam.async_read(timeout_ms=2000)) for _ in range(6)]
        assert cam.latest_capture_time is not None
    indices = [s[0] for s in stamps]
    assert indices == sorted(set(indices))
    assert time.time() - stamps[-1][1] < 5


def test_colours_survive_in_both_colour_modes():
    with ImageServer({"head": _synthetic()}, port=0, fps=30) as server:
        with _client(server.port, color_mode="rgb") as rgb_cam:
            rgb = rgb_cam.async_read(timeout_ms=2000)
        with _client(server.port, color_mode="bgr", rotation=180) as bgr_cam:
            bgr = bgr_cam.async_read(timeout_ms=2000)
    from lr_robots.cameras.synthetic.pattern import PatternGenerator

    index, stamp = decode_stamp(rgb)
    expected = PatternGenerator(160, 128).frame(index, stamp).astype(int)
    assert np.abs(rgb.astype(int) - expected).mean() < 6
    assert np.abs(rgb[..., ::-1].astype(int) - expected).mean() > 20  # the swap would show
    index, stamp = decode_stamp(bgr)
    expected = PatternGenerator(160, 128).frame(index, stamp)[::-1, ::-1, ::-1].astype(int)
    assert np.abs(bgr.astype(int) - expected).mean() < 6


def test_the_client_survives_a_server_restart():
    first = ImageServer({"head": _synthetic()}, port=0, fps=30)
    port = first.port
    first.start()
    cam = _client(port, timeout_ms=5000)
    cam.connect()
    try:
        cam.async_read(timeout_ms=2000)
        first.stop()
        with ImageServer({"head": _synthetic()}, port=port, fps=30):
            frame = cam.async_read(timeout_ms=5000)
        assert decode_stamp(frame) is not None
    finally:
        cam.disconnect()


def test_no_server_is_a_connection_error_naming_the_address():
    with zmq.Context() as ctx, ctx.socket(zmq.PUB) as unused:
        port = unused.bind_to_random_port("tcp://127.0.0.1")
    cam = _client(port, timeout_ms=300)
    with pytest.raises(CameraConnectionError, match=rf"zmq_camera@127.0.0.1:{port}.*300 ms"):
        cam.connect()
    assert not cam.is_connected


def test_garbage_from_the_network_ends_in_a_capture_error():
    ctx = zmq.Context()
    pub = ctx.socket(zmq.PUB)
    port = pub.bind_to_random_port("tcp://127.0.0.1")
    cam = _client(port, width=160, height=128, timeout_ms=200)
    try:
        import threading

        stop = threading.Event()

        def spam() -> None:
            while not stop.is_set():
                pub.send_string("this is not an image message")
                stop.wait(0.005)

        thread = threading.Thread(target=spam, daemon=True)
        thread.start()
        with pytest.raises(CameraConnectionError, match="not JSON"):
            cam.connect()
    finally:
        stop.set()
        thread.join()
        pub.close(linger=0)
        ctx.term()


def test_registered_with_lerobot_fields():
    cfg = CameraConfig.from_dict(
        {"type": "zmq", "server_address": "10.0.0.5", "port": 5556, "camera_name": "head_camera"}
    )
    cam = make_cameras_from_configs({"head": cfg})["head"]
    assert isinstance(cam, ZMQCamera) and cam.config.timeout_ms == 5000
    with pytest.raises(Exception, match="port"):
        CameraConfig.from_dict({"type": "zmq", "server_address": "x", "port": 70000})
    with pytest.raises(Exception, match="server_address"):
        CameraConfig.from_dict({"type": "zmq", "server_address": ""})


def test_a_silent_server_ends_in_a_capture_error():
    with ImageServer({"head": _synthetic()}, port=0, fps=60) as server:
        cam = _client(server.port, timeout_ms=100)
        cam.connect()
        try:
            server._stop.set()  # the server goes silent
            with pytest.raises(CameraCaptureError, match="no image within 100 ms"):
                for _ in range(50):
                    try:
                        cam.async_read(timeout_ms=500)
                    except TimeoutError:
                        continue
        finally:
            cam.disconnect()
