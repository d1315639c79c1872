"""Shared fixtures: a small real policy (``tiny``) registered through a real ``lr.policies``
entry point (a dist-info folder on ``sys.path``), and a small dataset built in memory."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from lr_core import registry

PLUGIN_DIR = Path(__file__).parent / "plugin"


def install_test_plugin(site: Path) -> None:
    """Write a dist-info registering the ``tiny`` policy, and put it and the module on sys.path."""
    info = site / "lr_test_policy-0.0.1.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: lr-test-policy\nVersion: 0.0.1\n")
    (info / "entry_points.txt").write_text(
        "[lr.policies]\ntiny = lr_test_policy:TinyConfig\n\n"
        "[lr.envs]\nreach_test = lr_test_env:ReachEnvConfig\n"
    )
    for path in (str(site), str(PLUGIN_DIR)):
        if path not in sys.path:
            sys.path.insert(0, path)
    registry.refresh()


@pytest.fixture(scope="session")
def tiny_plugin_site(tmp_path_factory) -> Path:
    """The folder holding the ``tiny`` policy's dist-info (add it to PYTHONPATH in subprocesses
    together with :data:`PLUGIN_DIR`)."""
    site = tmp_path_factory.mktemp("tiny_site")
    install_test_plugin(site)
    return site


@pytest.fixture
def tiny_policy_registered(tiny_plugin_site) -> Path:
    """Make sure the ``tiny`` policy is registered in this interpreter."""
    install_test_plugin(tiny_plugin_site)
    return tiny_plugin_site


def _locate():
    import importlib.util

    path = Path(__file__).resolve().parents[3] / "tools" / "peer" / "locate.py"
    spec = importlib.util.spec_from_file_location("_lr_peer_locate", path)
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def peer_python_061() -> str:
    """The lerobot 0.6.1 peer interpreter; skips the test when it is not installed."""
    locate = _locate()
    python = locate.peer_python("0.6.1")
    if python is None:
        pytest.skip(locate.INSTALL_HINT)
    return str(python)


def record_dataset(root: Path, *, episodes: int = 2, frames: int = 16) -> Path:
    """Record a small LeRobot v3.0 dataset with lr-dataset: ``observation.state`` (3),
    ``action`` (2), one 24x32 camera stored as video; the action follows the state."""
    import numpy as np

    from lr_dataset import LeRobotDataset

    features = {
        "observation.state": {"dtype": "float32", "shape": [3], "names": ["x", "y", "z"]},
        "action": {"dtype": "float32", "shape": [2], "names": ["x", "y"]},
        "observation.images.front": {
            "dtype": "video",
            "shape": [24, 32, 3],
            "names": ["height", "width", "channels"],
        },
    }
    ds = LeRobotDataset.create("test/synthetic", 10, features, root=root, use_videos=True)
    rng = np.random.default_rng(0)
    for _ in range(episodes):
        state = np.cumsum(rng.normal(0, 0.3, (frames, 3)), axis=0).astype(np.float32)
        for i in range(frames):
            image = np.full((24, 32, 3), int(128 + 60 * np.tanh(state[i, 0])), np.uint8)
            ds.add_frame(
                {
                    "observation.state": state[i],
                    "action": (state[min(i + 1, frames - 1), :2] * 2 + 0.5).astype(np.float32),
                    "observation.images.front": image,
                    "task": "follow",
                }
            )
        ds.save_episode()
    ds.finalize()
    return root


@pytest.fixture(scope="session")
def lerobot_dataset_root(tmp_path_factory) -> Path:
    """A small recorded dataset on disk (see :func:`record_dataset`)."""
    return record_dataset(tmp_path_factory.mktemp("datasets") / "synthetic")
