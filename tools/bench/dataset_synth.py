"""Synthetic content and its size flags, shared by tools/bench/dataset.py, streaming.py and
their LeRobot sides (numpy only)."""

from __future__ import annotations

import argparse

import numpy as np

FPS = 30
NAMES = [f"j{i}" for i in range(6)]
CAMERA = "observation.images.front"


def features(height: int, width: int) -> dict:
    """One camera, 6-dim state and action."""
    return {
        "observation.state": {"dtype": "float32", "shape": (6,), "names": NAMES},
        "action": {"dtype": "float32", "shape": (6,), "names": NAMES},
        CAMERA: {
            "dtype": "video",
            "shape": (height, width, 3),
            "names": ["height", "width", "channels"],
        },
    }


def delta_timestamps() -> dict:
    """The issue's training windows: camera and state at -0.1 s and now, 30 actions over 1 s."""
    return {
        CAMERA: [-0.1, 0.0],
        "observation.state": [-0.1, 0.0],
        "action": [k / FPS for k in range(30)],
    }


#: The synthetic dataset's size and the readers' settings, flag -> default (480x640, 2 workers).
SIZE_FLAGS = {"episodes": 20, "frames": 200, "height": 480, "width": 640, "batches": 50,
              "workers": 2}  # fmt: skip


def add_size_arguments(parser: argparse.ArgumentParser) -> None:
    """``--episodes --frames --height --width --batches --workers`` with their defaults."""
    for name, default in SIZE_FLAGS.items():
        parser.add_argument(f"--{name}", type=int, default=default)


def size_argv(args: argparse.Namespace) -> list[str]:
    """The same flags with ``args``' values, for a child process."""
    return [arg for name in SIZE_FLAGS for arg in (f"--{name}", str(getattr(args, name)))]


def frame_bank(height: int, width: int, n: int = 64) -> list[np.ndarray]:
    """``n`` smooth frames: a drifting gradient and a moving white rectangle."""
    yy, xx = np.mgrid[0:height, 0:width]
    bank = []
    for k in range(n):
        img = np.empty((height, width, 3), dtype=np.uint8)
        img[..., 0] = (xx * 255 // (width - 1) + 4 * k) % 256
        img[..., 1] = (yy * 255 // (height - 1) + 2 * k) % 256
        img[..., 2] = (128 + 60 * np.sin(k / 10)) % 256
        y0, x0 = (7 * k) % (height - height // 5), (11 * k) % (width - width // 5)
        img[y0 : y0 + height // 5, x0 : x0 + width // 5] = 255
        bank.append(img)
    return bank


def synth_frame(bank: list[np.ndarray], ep: int, i: int) -> dict:
    """Frame ``i`` of episode ``ep``."""
    t = i / FPS
    state = np.sin(np.arange(6, dtype=np.float32) + t + ep).astype(np.float32)
    return {
        "observation.state": state,
        "action": (state * 0.5 + 0.1).astype(np.float32),
        CAMERA: bank[(i + 5 * ep) % len(bank)],
        "task": "pick the cube",
    }
