"""Test helpers for lr-dataset: synthetic frames, a small dataset writer, the peer interpreters."""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[3]
FIXTURES = Path(__file__).parent / "fixtures"
PEER_SCRIPTS = Path(__file__).parent / "peer_scripts"
WRITER = Path(__file__).parent / "crash_writer.py"
NAMES = [f"j{i}" for i in range(6)]


def _locate():
    spec = importlib.util.spec_from_file_location("peer_locate", REPO / "tools/peer/locate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def peer_python_or_skip(version: str = "0.6.1") -> Path:
    """The peer interpreter, or skip the test with the install hint."""
    locate = _locate()
    python = locate.peer_python(version)
    if python is None:
        pytest.skip(locate.INSTALL_HINT)
    return python


def run_peer(version: str, script: str, *args: str, timeout: float = 600) -> dict:
    """Run a peer script; return its ``RESULT {json}`` line."""
    python = peer_python_or_skip(version)
    proc = subprocess.run(
        [str(python), str(PEER_SCRIPTS / script), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd="/tmp",
    )
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        raise AssertionError(f"peer {script} failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
    return json.loads(lines[-1][len("RESULT ") :])


def features(*, camera: str | None = "video", height: int = 32, width: int = 48) -> dict:
    """State, action, reward and (optionally) one front camera."""
    out = {
        "observation.state": {"dtype": "float32", "shape": (6,), "names": NAMES},
        "action": {"dtype": "float32", "shape": (6,), "names": NAMES},
        "next.reward": {"dtype": "float32", "shape": (1,), "names": None},
    }
    if camera:
        out["observation.images.front"] = {
            "dtype": camera,
            "shape": (height, width, 3),
            "names": ["height", "width", "channels"],
        }
    return out


def image(ep: int, i: int, h: int, w: int) -> np.ndarray:
    """A smooth synthetic frame that changes with the episode and frame index."""
    yy, xx = np.mgrid[0:h, 0:w]
    img = np.empty((h, w, 3), dtype=np.uint8)
    img[..., 0] = (xx * 255 // max(w - 1, 1) + 7 * i) % 256
    img[..., 1] = (yy * 255 // max(h - 1, 1) + 11 * ep) % 256
    img[..., 2] = (3 * i + 40 * ep) % 256
    return img


def frame(
    ep: int,
    i: int,
    *,
    fps: int = 30,
    camera: bool = True,
    h: int = 32,
    w: int = 48,
    task: str | None = None,
) -> dict:
    """Frame ``i`` of episode ``ep``."""
    t = i / fps
    state = np.sin(np.arange(6, dtype=np.float32) + t + ep).astype(np.float32)
    out = {
        "observation.state": state,
        "action": (state * 0.5 + 0.1).astype(np.float32),
        "next.reward": np.array([float(i == 4)], dtype=np.float32),
        "task": task or ("pick the cube" if ep % 2 == 0 else "place the cube"),
    }
    if camera:
        out["observation.images.front"] = image(ep, i, h, w)
    return out


def write_dataset(
    root: Path,
    *,
    episodes: int = 3,
    frames: int = 6,
    camera: str | None = "video",
    h: int = 32,
    w: int = 48,
    **create_kwargs,
) -> Path:
    """Record a small dataset with lr."""
    from lr_dataset.dataset import LeRobotDataset

    ds = LeRobotDataset.create(
        "test/synthetic",
        30,
        features(camera=camera, height=h, width=w),
        root=root,
        robot_type="so_follower",
        use_videos=camera == "video",
        **create_kwargs,
    )
    for ep in range(episodes):
        for i in range(frames):
            ds.add_frame(frame(ep, i, camera=camera is not None, h=h, w=w))
        ds.save_episode()
    ds.finalize()
    return root


def record_then_kill(root: Path, delay_s: float, resume: bool = False) -> int:
    """Run crash_writer.py; SIGKILL it ``delay_s`` after it starts recording (it prints
    ``ready``); return the episodes it reported saved."""
    args = [sys.executable, str(WRITER), str(root)] + (["--resume"] if resume else [])
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    lines: list[str] = []
    ready = threading.Event()

    def read() -> None:
        for line in proc.stdout:
            lines.append(line)
            if line.startswith("ready"):
                ready.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    ready.wait(timeout=120)
    try:
        proc.wait(timeout=delay_s)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    reader.join()
    saved = 0
    for line in lines:
        if line.startswith("saved "):
            saved = int(line.split()[1])
    return saved
