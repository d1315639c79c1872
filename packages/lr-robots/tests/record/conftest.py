"""Fixtures of the ``lr record`` tests."""

from __future__ import annotations

from pathlib import Path

import pytest

CAMERA = '--robot.cameras={"front": {"type": "synthetic", "width": 64, "height": 48}}'


def _record_args(follower, leader, root: Path, *extra: str, repo: str = "me/pick") -> list[str]:
    """``lr record`` flags for the emulated pair (short episodes, no Hub)."""
    return [
        "record",
        "--robot.type=so101_follower", f"--robot.port={follower.port}", "--robot.id=black",
        CAMERA,
        "--teleop.type=so101_leader", f"--teleop.port={leader.port}", "--teleop.id=blue",
        f"--dataset.repo_id={repo}", f"--dataset.root={root}", "--dataset.single_task=pick it",
        "--dataset.num_episodes=2", "--dataset.episode_time_s=1", "--dataset.reset_time_s=0.3",
        "--dataset.push_to_hub=false", "--dataset.no_stamp=true",
        "--dataset.rgb_encoder.vcodec=h264",
        *extra,
    ]  # fmt: skip


@pytest.fixture
def record_args():
    """``record_args(follower_emu, leader_emu, root, *extra, repo="me/pick")``: ``lr record``
    flags for the emulated SO-101 pair (two 1 s episodes, a 64x48 synthetic camera, h264, no
    Hub, no repo-id stamp)."""
    return _record_args
