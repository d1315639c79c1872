"""Fixtures for lr-dataset tests. Dataset builders come from :mod:`lr_dataset.testing`; the
peer (LeRobot in its own venv) is driven through the ``run_peer`` and ``compare_with_peer``
fixtures."""

from __future__ import annotations

import importlib.util
import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from lr_dataset.testing import write_dataset

REPO = Path(__file__).resolve().parents[3]
PEER_SCRIPTS = Path(__file__).parent / "peer_scripts"


@pytest.fixture(scope="session")
def video_dataset(tmp_path_factory) -> Path:
    """3 episodes × 6 frames with a 32×48 AV1 camera (written once per session)."""
    return write_dataset(tmp_path_factory.mktemp("video") / "ds")


@pytest.fixture(scope="session")
def image_dataset(tmp_path_factory) -> Path:
    """2 episodes × 4 frames with a 16×16 PNG camera."""
    return write_dataset(
        tmp_path_factory.mktemp("images") / "ds", episodes=2, frames=4, camera="image", h=16, w=16
    )


def _locate() -> Any:
    spec = importlib.util.spec_from_file_location("peer_locate", REPO / "tools/peer/locate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run_peer(version: str, script: str, *args: str, timeout: float = 600) -> dict:
    """Run ``peer_scripts/<script>`` with LeRobot ``version``'s interpreter; return its
    ``RESULT {json}`` line (the test is skipped when that peer is not installed)."""
    locate = _locate()
    python = locate.peer_python(version)
    if python is None:
        pytest.skip(locate.INSTALL_HINT)
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


@pytest.fixture(scope="session")
def run_peer() -> Callable[..., dict]:
    """``run_peer(version, script, *args)``: a peer script's ``RESULT`` as a dict."""
    return _run_peer


def _compare_with_peer(root: Path, npz: Path, version: str = "0.6.1") -> None:
    """Every item LeRobot ``version`` reads from ``root`` equals ours."""
    from lr_dataset.dataset import LeRobotDataset

    result = _run_peer(version, "lerobot_read.py", str(root), str(npz))
    ours = LeRobotDataset("t/ours", root=root)
    assert result["len"] == len(ours)
    assert result["total_episodes"] == ours.meta.total_episodes
    assert result["tasks"] == list(ours.meta.tasks)
    peer = np.load(npz)
    for i in range(len(ours)):
        item = ours[i]
        for key, value in item.items():
            name = f"{i}/{key}"
            if key == "task":
                assert str(peer[name]) == value
            elif name in peer.files:
                np.testing.assert_allclose(np.asarray(value), peer[name], atol=1e-6, err_msg=name)


@pytest.fixture(scope="session")
def compare_with_peer() -> Callable[..., None]:
    """``compare_with_peer(root, npz, version="0.6.1")``: LeRobot reads ``root`` as we do."""
    return _compare_with_peer
