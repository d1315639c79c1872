"""Fixtures for the editing-tool tests: small datasets whose MP4s hold several episodes."""

from __future__ import annotations

from pathlib import Path

import pytest

from lr_dataset.testing import add_episodes, write_dataset


@pytest.fixture(scope="session")
def two_file_dataset(tmp_path_factory) -> Path:
    """5 episodes × 6 frames: episodes 0-2 share data/video file 000, episodes 3-4 file 001."""
    root = write_dataset(tmp_path_factory.mktemp("tools") / "src", episodes=3, frames=6)
    add_episodes(root, range(3, 5))
    return root


@pytest.fixture(scope="session")
def image_source(tmp_path_factory) -> Path:
    """3 episodes × 4 frames with a PNG camera."""
    return write_dataset(
        tmp_path_factory.mktemp("tools-img") / "src",
        episodes=3,
        frames=4,
        camera="image",
        h=16,
        w=16,
    )
