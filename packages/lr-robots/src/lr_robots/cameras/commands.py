"""The ``lr`` subcommands of lr-robots' cameras (``lr.commands`` entry points); cheap to import."""

from __future__ import annotations

from lr_core.cli import Command

find_cameras = Command(
    help="list the cameras, open each and save a frame (lr find-cameras [av|opencv|realsense])",
    run="lr_robots.cameras.cli:find_cameras_main",
)

serve_cameras = Command(
    help="publish cameras over ZeroMQ for `zmq` camera clients (--cameras='{...}' --port=5555)",
    run="lr_robots.cameras.cli:serve_cameras_main",
)
