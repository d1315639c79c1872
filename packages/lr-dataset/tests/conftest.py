"""Fixtures for lr-dataset tests; helpers live in dataset_helpers.py (unique module name)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from dataset_helpers import write_dataset


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
