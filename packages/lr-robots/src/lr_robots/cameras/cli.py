"""What ``lr find-cameras`` and ``lr serve-cameras`` run (parsed with lr-core's ``parse_cli``)."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from pydantic import Field

from lr_core.config import LrConfig, parse_cli
from lr_core.devices import CameraConfig


class FindCamerasConfig(LrConfig):
    """``lr find-cameras [av|opencv|realsense|synthetic] [--output_dir=...]``.

    Lists the cameras of that type (by default every device camera), opens each at its default
    profile and saves one frame as ``<output_dir>/<type>_<id>.png``, as LeRobot's
    ``lerobot-find-cameras`` does. ``--cameras='{"front": {"type": "zmq", ...}}'`` also opens
    configured cameras (saved as ``<name>.png``); ``--list_only=true`` only lists.
    """

    camera_type: str | None = None
    """Camera type to list and capture from: av, opencv, realsense or synthetic (also given
    first, without the flag); default: every device camera."""
    output_dir: Path = Path("outputs/captured_images")
    """Directory to save the captured images in."""
    record_time_s: float = Field(default=2.0, ge=0)
    """Seconds to read frames from each camera; the last one is saved."""
    warmup_s: float = Field(default=1.0, ge=0)
    """Seconds of frames each listed camera reads and drops when it opens (exposure settles)."""
    cameras: dict[str, CameraConfig] = Field(default_factory=dict)
    """Configured cameras to capture too, {name: camera config}, saved as <name>.png."""
    list_only: bool = False
    """Only list the cameras found; capture nothing."""


class ServeCamerasConfig(LrConfig):
    """``lr serve-cameras --cameras='{"head": {"type": "av", "index_or_path": 0}}'``.

    Publishes the cameras over ZeroMQ on ``tcp://<host>:<port>`` at ``fps`` (LeRobot's image
    server layout) until Ctrl-C; clients use ``{"type": "zmq", "server_address": ...}``.
    """

    cameras: dict[str, CameraConfig]
    """Cameras to publish, {name: camera config} (the names clients receive)."""
    port: int = Field(default=5555, ge=1, le=65535)
    """TCP port to publish on."""
    host: str = "*"
    """Interface to bind to (* for all, 127.0.0.1 for this machine only)."""
    fps: float = Field(default=30, gt=0)
    """Messages published per second, each with the cameras' frames new since the last one."""
    quality: int = Field(default=80, ge=1, le=100)
    """JPEG quality of the published frames, 1-100."""


def _normalise_argv(argv: list[str]) -> tuple[str | None, list[str]]:
    """LeRobot's spellings: a positional camera type and ``--output-dir`` style flags."""
    positional = None
    out = []
    for arg in argv:
        if not arg.startswith("-") and positional is None and out[-1:] != ["--cameras"]:
            positional = arg
            continue
        if arg.startswith("--"):
            key, sep, value = arg[2:].partition("=")
            arg = "--" + key.replace("-", "_") + sep + value
        out.append(arg)
    return positional, out


def find_cameras_main(argv: list[str]) -> int:
    """Run ``lr find-cameras``."""
    from lr_robots.cameras.find import (
        capture,
        config_flag,
        describe,
        find_all,
        listed_configs,
        normalise_kind,
    )

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    positional, args = _normalise_argv(argv)
    if positional is not None:
        args = [f"--camera_type={positional}", *args]
    cfg = parse_cli(FindCamerasConfig, args, prog="lr find-cameras")
    kind = normalise_kind(cfg.camera_type)
    found = find_all(kind) if kind is not None or not cfg.cameras else []
    if found:
        print(describe(found))
        print("\nTo use one, put its entry in --robot.cameras='{\"<name>\": <entry>}':")
        for info in found:
            print(f"  {config_flag(info)}")
    elif not cfg.cameras:
        what = f"{kind} cameras" if kind else "cameras"
        print(f"No {what} were detected.")
        return 1
    if cfg.list_only:
        return 0
    configs = {
        **listed_configs(found, cfg.warmup_s),
        **{f"{k}.png": v for k, v in cfg.cameras.items()},
    }
    results = capture(
        {name.removesuffix(".png"): c for name, c in configs.items()},
        cfg.output_dir,
        cfg.record_time_s,
    )
    failed = 0
    for result in results:
        if result.path is not None:
            print(f"saved {result.path} ({result.shape[1]}x{result.shape[0]})")
        else:
            failed += 1
            print(f"could not capture {result.name}: {result.error}", file=sys.stderr)
    print(f"Image capture finished. Images saved to {cfg.output_dir}")
    return 1 if failed else 0


def serve_cameras_main(argv: list[str]) -> int:
    """Run ``lr serve-cameras`` until Ctrl-C."""
    from lr_robots.cameras.factory import make_cameras_from_configs
    from lr_robots.cameras.zmq.server import ImageServer

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    cfg = parse_cli(ServeCamerasConfig, argv, prog="lr serve-cameras")
    cameras = make_cameras_from_configs(cfg.cameras)
    server = ImageServer(cameras, port=cfg.port, fps=cfg.fps, quality=cfg.quality, host=cfg.host)
    server.start()
    print(
        f"Serving {', '.join(cameras)} on tcp://{cfg.host}:{server.port} at {cfg.fps:g} fps; "
        "Ctrl-C to stop.",
        flush=True,
    )
    try:
        server._stop.wait()
    except KeyboardInterrupt:
        print("stopped", file=sys.stderr)
    finally:
        server.stop()
    return 0
