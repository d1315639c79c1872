"""Fixtures for the streaming tests: small datasets whose data and videos roll over into several
files, and HTTP servers on 127.0.0.1 serving them with range requests."""

from __future__ import annotations

from pathlib import Path

import pytest

from lr_dataset.streaming.loopback import LoopbackServer
from lr_dataset.testing import write_rollover_dataset


@pytest.fixture(scope="session")
def rollover(tmp_path_factory) -> Path:
    """9 episodes of 9-23 frames, a 32x48 AV1 camera; 2-3 episodes per MP4, several data files."""
    return write_rollover_dataset(tmp_path_factory.mktemp("rollover") / "ds")


@pytest.fixture(scope="session")
def bframes(tmp_path_factory) -> Path:
    """6 episodes, an h264 camera with B-frames and 12-frame GOPs, several MP4s."""
    from lr_dataset.video import VideoEncoderConfig

    return write_rollover_dataset(
        tmp_path_factory.mktemp("bframes") / "ds",
        episodes=6,
        video_encoder=VideoEncoderConfig(vcodec="h264", g=12, crf=23),
        video_files_size_in_mb=0.006,
    )


@pytest.fixture(scope="session")
def images(tmp_path_factory) -> Path:
    """5 episodes with a PNG camera stored in the data parquet."""
    return write_rollover_dataset(
        tmp_path_factory.mktemp("images") / "ds", episodes=5, camera="image"
    )


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    """``HF_LEROBOT_HOME`` in a temporary folder (the stream cache lives under it)."""
    monkeypatch.setenv("HF_LEROBOT_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


@pytest.fixture
def served(rollover, home):
    """A loopback server for the rollover dataset's parent folder; yields (server, url)."""
    with LoopbackServer(rollover.parent) as server:
        yield server, f"{server.url}/{rollover.name}"
