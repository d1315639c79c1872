"""LeRobotDataset(repo_id) without root fetches from the Hub (LocalHub on 127.0.0.1) into
$HF_LEROBOT_HOME/hub, as LeRobot does."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from huggingface_hub import HfApi

from lr_dataset.dataset import LeRobotDataset
from lr_dataset.errors import DatasetFormatError
from lr_dataset.local_hub import LocalHub
from lr_dataset.metadata import LeRobotDatasetMetadata
from lr_dataset.testing import add_episodes, write_dataset
from lr_dataset.tools import push

FIXTURES = Path(__file__).parent / "fixtures"
SRC = FIXTURES / "lerobot-0.6.1-video"


@pytest.fixture
def hub(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_LEROBOT_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("HF_TOKEN", "hf_test_token")
    with LocalHub() as server:
        monkeypatch.setenv("HF_ENDPOINT", server.url)
        yield server


def _downloaded(tmp_path: Path, repo: str) -> set[str]:
    snapshots = tmp_path / "home/hub" / f"datasets--{repo.replace('/', '--')}" / "snapshots"
    return {
        str(p.relative_to(s))
        for s in snapshots.iterdir()
        for p in s.rglob("*")
        if p.is_file() or p.is_symlink()
    }


def test_repo_id_alone_downloads_into_the_hub_cache(hub, tmp_path):
    push(SRC, "me/pick")
    ds = LeRobotDataset("me/pick")
    ours = LeRobotDataset("local", root=SRC)
    assert ds.root.is_relative_to(tmp_path / "home/hub/datasets--me--pick/snapshots")
    assert ds.meta.hub is not None and ds.meta.hub.repo_id == "me/pick"
    assert len(ds) == len(ours) and list(ds.meta.tasks) == list(ours.meta.tasks)
    for i in (0, 7, len(ds) - 1):
        np.testing.assert_array_equal(
            ds[i]["observation.images.front"], ours[i]["observation.images.front"]
        )
    # a second open reuses the cache: nothing is downloaded again
    before = len(hub.requests)
    again = LeRobotDataset("me/pick")
    resolves = [r for r in hub.requests[before:] if "/resolve/" in r[1]]
    assert again.root == ds.root and all(r[0] == "HEAD" for r in resolves)


def test_only_the_selected_episodes_files(hub, tmp_path):
    src = write_dataset(tmp_path / "src", episodes=2, frames=4)
    add_episodes(src, range(2, 4), frames=4)  # episodes 2-3 in data/video file 001
    push(src, "me/two")
    ds = LeRobotDataset("me/two", episodes=[3], download_videos=False)
    files = _downloaded(tmp_path, "me/two")
    assert "data/chunk-000/file-001.parquet" in files
    assert "data/chunk-000/file-000.parquet" not in files
    assert not any(f.startswith("videos/") for f in files)
    assert ds.column("frame_index").tolist() == [0, 1, 2, 3]
    ds = LeRobotDataset("me/two", episodes=[0])
    files = _downloaded(tmp_path, "me/two")
    assert "videos/observation.images.front/chunk-000/file-000.mp4" in files
    assert ds[0]["observation.images.front"].shape == (3, 32, 48)


def test_version_tag_and_revision(hub, tmp_path):
    push(SRC, "me/pick")
    api = HfApi(endpoint=hub.url)
    api.upload_file(
        path_or_fileobj=b"later", path_in_repo="NOTES.md", repo_id="me/pick", repo_type="dataset"
    )
    meta = LeRobotDatasetMetadata("me/pick")  # the v3.0 tag, not main's newer commit
    assert meta.hub is not None and meta.hub.commit == hub.tags("me/pick")["v3.0"]
    main = api.repo_info("me/pick", repo_type="dataset").sha
    assert LeRobotDatasetMetadata("me/pick", revision="main").hub.commit == main
    api.delete_tag("me/pick", tag="v3.0", repo_type="dataset")
    api.create_tag("me/pick", tag="v2.1", repo_type="dataset")
    with pytest.raises(DatasetFormatError, match="no v3.0 tag .*convert it"):
        LeRobotDatasetMetadata("me/pick", force_cache_sync=True)


def test_a_local_dataset_under_the_home_comes_first(hub, tmp_path):
    shutil.copytree(SRC, tmp_path / "home/me/pick")
    ds = LeRobotDataset("me/pick")  # nothing on the Hub: read locally, no request made
    assert ds.root == tmp_path / "home/me/pick" and ds.meta.hub is None
    assert hub.requests == []


def test_offline_reads_the_cache(hub, tmp_path, monkeypatch):
    push(SRC, "me/pick")
    LeRobotDataset("me/pick")
    hub.stop()
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    assert len(LeRobotDataset("me/pick")) == 18


def test_missing_repo_is_a_clear_error(hub):
    with pytest.raises(DatasetFormatError, match=r"cannot fetch dataset 'me/nope' .*127\.0\.0\.1"):
        LeRobotDataset("me/nope")
    with pytest.raises(DatasetFormatError, match="neither a dataset folder nor a Hub repo id"):
        LeRobotDataset("not a/valid repo id")
