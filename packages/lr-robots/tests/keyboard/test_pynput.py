"""The pynput back end on a real X server (Xvfb) with keys typed through XTEST (xdotool).

Skipped where Xvfb or xdotool is missing (``apt-get install xvfb xdotool``).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys

import pytest

if importlib.util.find_spec("pynput") is None:  # importing it needs a display
    pytest.skip("needs pynput (lr-robots[pynput])", allow_module_level=True)
pytestmark = pytest.mark.skipif(
    shutil.which("Xvfb") is None or shutil.which("xdotool") is None,
    reason="needs Xvfb and xdotool (apt-get install xvfb xdotool)",
)

CHILD = r"""
import subprocess, time
from lr_robots.keyboard import open_keyboard

def settle(kb, want, timeout=5.0):
    end = time.monotonic() + timeout
    while kb.pressed() != want and time.monotonic() < end:
        time.sleep(0.01)
    return kb.pressed()

with open_keyboard("auto") as kb:
    assert kb.backend_name == "pynput" and kb.reports_release
    subprocess.run(["xdotool", "keydown", "w"], check=True)
    assert settle(kb, {"w"}) == {"w"}
    subprocess.run(["xdotool", "keydown", "Up"], check=True)
    assert settle(kb, {"w", "up"}) == {"w", "up"}
    subprocess.run(["xdotool", "keyup", "w", "keyup", "Up"], check=True)
    assert settle(kb, set()) == frozenset()
    events = [(e.key, e.pressed) for e in kb.events()]
    assert events == [("w", True), ("up", True), ("w", False), ("up", False)], events
print("ok")
"""


@pytest.fixture
def x_display():
    read_fd, write_fd = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", "320x240x24", "-nolisten", "tcp"],
        pass_fds=(write_fd,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_fd)
    with os.fdopen(read_fd) as reader:
        display = reader.readline().strip()
    try:
        assert display, "Xvfb did not start"
        yield f":{display}"
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_keys_held_and_released_on_x11(x_display):
    env = {**os.environ, "DISPLAY": x_display}
    env.pop("WAYLAND_DISPLAY", None)
    env.pop("XDG_SESSION_TYPE", None)
    proc = subprocess.run(
        [sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0 and "ok" in proc.stdout, proc.stderr[-3000:]
