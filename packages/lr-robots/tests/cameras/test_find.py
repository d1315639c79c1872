"""``lr find-cameras`` and ``lr serve-cameras``: listing, configs, capture, and the commands."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from lr_core.errors import ConfigError
from lr_robots.cameras import decode_stamp
from lr_robots.cameras.cli import _normalise_argv
from lr_robots.cameras.find import (
    capture,
    config_flag,
    config_for,
    describe,
    find_all,
    normalise_kind,
)

LR = [sys.executable, "-m", "lr_core.cli"]


def _read_png(path: Path) -> np.ndarray:
    av = pytest.importorskip("av")
    with av.open(str(path)) as container:
        return next(container.decode(video=0)).to_ndarray(format="rgb24")


def test_listing_uses_lerobot_format_and_kinds():
    found = find_all("synthetic")
    text = describe(found)
    assert "--- Detected Cameras ---" in text and "Camera #0:" in text
    assert "  Default stream profile:\n    Format: rgb24\n    Width: 640" in text
    assert normalise_kind("IntelRealSense") == "realsense"
    with pytest.raises(ConfigError, match="unknown camera type 'kinect'"):
        normalise_kind("kinect")


def test_configs_for_listed_cameras():
    av_cfg = config_for({"type": "av", "id": "/dev/video0", "input_format": "v4l2"}, 0.5)
    assert (av_cfg.type, str(av_cfg.index_or_path), av_cfg.input_format) == (
        "av",
        "/dev/video0",
        "v4l2",
    )
    rs_cfg = config_for({"type": "RealSense", "id": "0123456789"}, 1)
    assert rs_cfg.type == "intelrealsense" and rs_cfg.serial_number_or_name == "0123456789"
    cv_cfg = config_for({"type": "OpenCV", "id": 2}, 1)
    assert cv_cfg.type == "opencv" and cv_cfg.index_or_path == 2
    entry = json.loads(
        config_flag(
            {
                "type": "av",
                "id": 0,
                "default_stream_profile": {"width": 640, "height": 480, "fps": 30.0},
            }
        )
    )
    assert entry == {"type": "av", "index_or_path": 0, "width": 640, "height": 480, "fps": 30}


def test_capture_saves_each_camera_and_reports_failures(tmp_path):
    from lr_core.devices import CameraConfig

    configs = {
        "pattern": CameraConfig.from_dict(
            {"type": "synthetic", "width": 64, "height": 48, "color_mode": "bgr"}
        ),
        "missing": CameraConfig.from_dict({"type": "av", "index_or_path": "/dev/video99"}),
    }
    good, bad = capture(configs, tmp_path, record_time_s=0.1)
    assert good.path == tmp_path / "pattern.png" and good.shape == (48, 64, 3)
    assert decode_stamp(_read_png(good.path)) is not None  # saved as RGB even from a BGR camera
    assert bad.path is None and "does not exist" in bad.error


def test_lerobot_spellings_of_the_arguments():
    assert _normalise_argv(["opencv", "--output-dir=x", "--record-time-s", "3"]) == (
        "opencv",
        ["--output_dir=x", "--record_time_s", "3"],
    )


@pytest.mark.slow
def test_find_cameras_command_saves_a_frame(tmp_path, stamped_video):
    out = tmp_path / "images"
    clip = stamped_video(n=30, fps=30)
    cameras = json.dumps({"clip": {"type": "video_file", "path": str(clip)}})
    proc = subprocess.run(
        [
            *LR,
            "find-cameras",
            "synthetic",
            f"--output-dir={out}",
            "--record-time-s=0.2",
            "--warmup-s=0",
            f"--cameras={cameras}",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Camera #0:" in proc.stdout and "synthetic_synthetic.png" in proc.stdout
    assert decode_stamp(_read_png(out / "synthetic_synthetic.png")) is not None
    assert _read_png(out / "clip.png").shape == (128, 160, 3)


def test_find_cameras_without_cameras_says_so(tmp_path):
    env = {**os.environ, "PATH": os.environ.get("PATH", "")}
    proc = subprocess.run(
        [*LR, "find-cameras", "--list_only=true"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    if Path("/dev/video0").exists():
        pytest.skip("this machine has cameras")
    assert proc.returncode == 1 and "No cameras were detected" in proc.stdout


@pytest.mark.slow
def test_serve_cameras_then_find_them_over_zmq(tmp_path):
    zmq = pytest.importorskip("zmq")
    with zmq.Context() as ctx, ctx.socket(zmq.PUB) as sock:
        port = sock.bind_to_random_port("tcp://127.0.0.1")
    served = json.dumps({"head": {"type": "synthetic", "width": 96, "height": 64}})
    server = subprocess.Popen(
        [*LR, "serve-cameras", f"--cameras={served}", f"--port={port}", "--host=127.0.0.1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert "Serving head" in server.stdout.readline()
        client = json.dumps(
            {
                "head": {
                    "type": "zmq",
                    "server_address": "127.0.0.1",
                    "port": port,
                    "camera_name": "head",
                }
            }
        )
        proc = subprocess.run(
            [
                *LR,
                "find-cameras",
                f"--cameras={client}",
                f"--output_dir={tmp_path}",
                "--record_time_s=0.2",
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode == 0, proc.stderr
        assert decode_stamp(_read_png(tmp_path / "head.png")) is not None
    finally:
        server.send_signal(signal.SIGINT)
        assert server.wait(timeout=30) == 0
