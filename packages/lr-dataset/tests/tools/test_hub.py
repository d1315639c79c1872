"""push / pull through huggingface_hub against LocalHub (a Hub stand-in on 127.0.0.1)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lr_dataset.dataset import LeRobotDataset
from lr_dataset.errors import DatasetFormatError
from lr_dataset.local_hub import LocalHub
from lr_dataset.testing import tree_digest
from lr_dataset.tools import pull, push

FIXTURES = Path(__file__).parents[1] / "fixtures"


SRC = FIXTURES / "lerobot-0.6.1-video"


@pytest.fixture
def hub(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_LEROBOT_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("HF_TOKEN", "hf_test_token")
    with LocalHub() as server:
        yield server


def test_push_then_pull_round_trip(hub, tmp_path):
    before = tree_digest(SRC)
    push(SRC, "user/pick", endpoint=hub.url)
    assert tree_digest(SRC) == before
    files = hub.files("user/pick")
    assert {p for p in files if p != "README.md"} == set(before)
    assert all(files[p] == (SRC / p).read_bytes() for p in before)
    card = files["README.md"].decode()
    assert "- LeRobot" in card and "robotics" in card and "data/*/*.parquet" in card
    assert hub.tags("user/pick") == {"v3.0": hub.repos[("datasets", "user/pick")].branches["main"]}

    root = pull("user/pick", tmp_path / "pulled", endpoint=hub.url)
    a, b = LeRobotDataset("a", root=SRC), LeRobotDataset("b", root=root)
    assert len(a) == len(b)
    for i in (0, len(a) - 1):
        np.testing.assert_array_equal(
            a[i]["observation.images.front"], b[i]["observation.images.front"]
        )


def test_repush_moves_the_version_tag(hub, tmp_path):
    import shutil

    push(SRC, "user/pick", endpoint=hub.url)
    first = hub.tags("user/pick")["v3.0"]
    copy = tmp_path / "copy"
    shutil.copytree(SRC, copy)
    (copy / "images").mkdir()
    (copy / "images" / "leftover.png").write_bytes(b"x")
    push(copy, "user/pick", endpoint=hub.url, push_videos=False)
    second = hub.tags("user/pick")["v3.0"]
    assert second != first
    assert not any(p.startswith("images/") for p in hub.files("user/pick"))


def test_push_to_a_branch(hub):
    push(SRC, "user/pick", endpoint=hub.url, branch="dev")
    repo = hub.repos[("datasets", "user/pick")]
    assert repo.tags["v3.0"] == repo.branches["dev"] != repo.branches["main"]
    assert "meta/info.json" not in hub.files("user/pick", "main")


def test_pull_picks_the_version_tag_and_refuses_v2(hub, tmp_path):
    from huggingface_hub import HfApi

    push(SRC, "user/pick", endpoint=hub.url, tag_version=False)
    api = HfApi(endpoint=hub.url)
    api.create_tag("user/pick", tag="v2.1", repo_type="dataset")
    with pytest.raises(DatasetFormatError, match="no v3.0 tag.*v2.1.*lr dataset convert"):
        pull("user/pick", tmp_path / "a", endpoint=hub.url)
    api.create_tag("user/pick", tag="v3.0", repo_type="dataset")
    root = pull("user/pick", tmp_path / "b", endpoint=hub.url, download_videos=False)
    assert (root / "meta/info.json").exists() and not (root / "videos").exists()


def _run(hub, tmp_path, code: str, *args: str):
    """Run ``code`` in a fresh interpreter whose huggingface_hub talks to ``hub`` (HF_ENDPOINT
    is read when huggingface_hub is imported, as for a user who sets it)."""
    import os
    import subprocess
    import sys

    env = {
        **os.environ,
        "HF_ENDPOINT": hub.url,
        "HF_TOKEN": "hf_test_token",
        "HF_HOME": str(tmp_path / "hf"),
        "HF_LEROBOT_HOME": str(tmp_path / "home"),
        "HF_HUB_DISABLE_TELEMETRY": "1",
    }
    out = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, timeout=300
    )
    assert out.returncode == 0, out.stderr[-3000:]
    assert "huggingface.co" not in out.stderr
    return out.stdout


def test_hf_url_root_reads_through_hffilesystem(hub, tmp_path):
    push(SRC, "user/pick", endpoint=hub.url)
    code = (
        "import sys, hashlib\n"
        "from lr_dataset.dataset import LeRobotDataset\n"
        "ds = LeRobotDataset('user/pick', root='hf://datasets/user/pick@v3.0')\n"
        "print(len(ds), hashlib.sha256(ds[3]['observation.images.front'].tobytes()).hexdigest())"
    )
    n, digest = _run(hub, tmp_path, code).split()
    import hashlib

    local = LeRobotDataset("a", root=SRC)
    assert int(n) == len(local)
    assert digest == hashlib.sha256(local[3]["observation.images.front"].tobytes()).hexdigest()


def test_push_and_pull_commands(hub, tmp_path):
    lr = "import sys; from lr_core.cli import main; sys.exit(main(sys.argv[1:]))"
    out = _run(hub, tmp_path, lr, "dataset", "push", str(SRC), "--repo-id", "user/cli")
    assert "pushed" in out and hub.tags("user/cli")
    _run(hub, tmp_path, lr, "dataset", "pull", "user/cli", "--output", str(tmp_path / "p"))
    assert (tmp_path / "p/meta/info.json").read_bytes() == (SRC / "meta/info.json").read_bytes()


@pytest.mark.peer
def test_lerobot_downloads_what_we_pushed(hub, tmp_path, monkeypatch, run_peer):
    """LeRobot 0.6.1's own Hub code (get_safe_version, snapshot_download) loads our push."""

    push(SRC, "user/peer", endpoint=hub.url)
    monkeypatch.setenv("HF_ENDPOINT", hub.url)
    monkeypatch.setenv("HF_LEROBOT_HOME", str(tmp_path / "peer-home"))
    result = run_peer("0.6.1", "lerobot_hub_read.py", "user/peer")
    assert str(tmp_path / "peer-home") in result["root"] and result["revision"] == "v3.0"
    ours = LeRobotDataset("user/peer", root=SRC)
    assert result["len"] == len(ours) and result["total_episodes"] == ours.meta.total_episodes
    # LeRobot's items from the download equal LeRobot's items from the original folder
    local = run_peer("0.6.1", "lerobot_hub_read.py", "user/peer", str(SRC))
    assert local["digest"] == result["digest"]
