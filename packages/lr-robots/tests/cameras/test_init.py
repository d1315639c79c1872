"""``lr_robots.cameras`` imports cheaply and its public names are exact."""

from __future__ import annotations

import subprocess
import sys

from lr_core.lazy import export_problems


def test_exports_are_exact():
    assert export_problems("lr_robots.cameras") == []


def test_importing_cameras_and_configs_loads_no_driver():
    code = (
        "import sys\n"
        "import lr_robots.cameras\n"
        "from lr_core.devices import CameraConfig\n"
        "for t in CameraConfig.available_types():\n"
        "    CameraConfig.for_type(t)\n"
        "heavy = [m for m in ('av', 'cv2', 'zmq', 'pyrealsense2', 'pygame') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
