"""Small synthetic datasets recorded with lr's own writer, and comparisons between datasets."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

#: names of the six joints of ``observation.state`` and ``action``
NAMES = [f"j{i}" for i in range(6)]
#: the camera key
CAMERA = "observation.images.front"


def features(
    *, camera: str | None = "video", height: int = 32, width: int = 48
) -> dict[str, dict[str, Any]]:
    """``info.json``-style features: state (6), action (6), reward (1) and, unless ``camera`` is
    ``None``, one front camera of dtype ``camera`` (``"video"`` or ``"image"``), ``(H, W, 3)``."""
    out: dict[str, dict[str, Any]] = {
        "observation.state": {"dtype": "float32", "shape": (6,), "names": NAMES},
        "action": {"dtype": "float32", "shape": (6,), "names": NAMES},
        "next.reward": {"dtype": "float32", "shape": (1,), "names": None},
    }
    if camera:
        out[CAMERA] = {
            "dtype": camera,
            "shape": (height, width, 3),
            "names": ["height", "width", "channels"],
        }
    return out


def image(ep: int, i: int, h: int, w: int) -> np.ndarray:
    """uint8 ``(h, w, 3)``: a smooth frame that changes with the episode and frame index."""
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
) -> dict[str, Any]:
    """Frame ``i`` of episode ``ep`` as ``add_frame`` takes it (task alternates by episode)."""
    t = i / fps
    state = np.sin(np.arange(6, dtype=np.float32) + t + ep).astype(np.float32)
    out: dict[str, Any] = {
        "observation.state": state,
        "action": (state * 0.5 + 0.1).astype(np.float32),
        "next.reward": np.array([float(i == 4)], dtype=np.float32),
        "task": task or ("pick the cube" if ep % 2 == 0 else "place the cube"),
    }
    if camera:
        out[CAMERA] = image(ep, i, h, w)
    return out


def write_dataset(
    root: Path,
    *,
    episodes: int = 3,
    frames: int = 6,
    camera: str | None = "video",
    h: int = 32,
    w: int = 48,
    **create_kwargs: Any,
) -> Path:
    """Record ``episodes`` × ``frames`` at 30 fps into ``root`` (repo id ``test/synthetic``,
    robot ``so_follower``); ``create_kwargs`` go to ``LeRobotDataset.create``. Returns root."""
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


def add_episodes(
    root: Path, episodes: Iterable[int], *, frames: int = 6, **frame_kwargs: Any
) -> None:
    """Resume ``root`` and record ``episodes`` (their indices pick the frames; the new episodes
    go to new files, as after any resume)."""
    from lr_dataset.dataset import LeRobotDataset

    ds = LeRobotDataset.resume("test/synthetic", root=root)
    for ep in episodes:
        for i in range(frames):
            ds.add_frame(frame(ep, i, **frame_kwargs))
        ds.save_episode()
    ds.finalize()


def tree_digest(root: Path) -> dict[str, str]:
    """``{relative path: sha256}`` of every file under ``root``."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def frames_of(root: Path, episode: int) -> list[dict[str, Any]]:
    """Every item of one episode, read with lr's reader (numpy flavour)."""
    from lr_dataset.dataset import LeRobotDataset

    ds = LeRobotDataset("t/read", root=root, episodes=[episode])
    return [ds[i] for i in range(len(ds))]


def assert_same_episode(
    a: Path, ep_a: int, b: Path, ep_b: int, *, camera: str | None = CAMERA
) -> None:
    """Episode ``ep_a`` of ``a`` and ``ep_b`` of ``b`` hold the same values, frames and task
    (the re-indexed columns aside); raises ``AssertionError`` naming the first difference."""
    fa, fb = frames_of(a, ep_a), frames_of(b, ep_b)
    assert len(fa) == len(fb), f"{len(fa)} frames != {len(fb)}"
    for x, y in zip(fa, fb):
        for key in ("observation.state", "action", "next.reward", "timestamp", "frame_index"):
            np.testing.assert_array_equal(x[key], y[key], err_msg=key)
        assert x["task"] == y["task"], (x["task"], y["task"])
        assert y["episode_index"] == ep_b
        if camera:
            np.testing.assert_array_equal(x[camera], y[camera], err_msg=camera)
