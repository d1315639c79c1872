"""LocalHub answers huggingface_hub's requests as the Hub does (errors, refs, trees, ranges)."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest
from huggingface_hub import HfApi, hf_hub_download
from huggingface_hub.errors import (
    EntryNotFoundError,
    HfHubHTTPError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)

from lr_dataset.local_hub import LocalHub


@pytest.fixture
def hub(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    with LocalHub() as server:
        yield server


def _seed(hub) -> HfApi:
    api = HfApi(endpoint=hub.url, token="hf_test")
    api.create_repo("me/data", repo_type="dataset")
    api.upload_file(
        path_or_fileobj=b"0123456789",
        path_in_repo="meta/info.json",
        repo_id="me/data",
        repo_type="dataset",
    )
    api.upload_file(
        path_or_fileobj=b"x",
        path_in_repo="data/chunk-000/file-000.parquet",
        repo_id="me/data",
        repo_type="dataset",
    )
    return api


def test_writes_need_a_token(hub):
    with pytest.raises(HfHubHTTPError, match="401"):
        HfApi(endpoint=hub.url, token=False).create_repo("me/x", repo_type="dataset")


def test_errors_map_to_the_client_exceptions(hub, tmp_path):
    api = _seed(hub)
    with pytest.raises(RepositoryNotFoundError):
        api.repo_info("me/nope", repo_type="dataset")
    with pytest.raises(RevisionNotFoundError):
        api.repo_info("me/data", repo_type="dataset", revision="v9.9")
    with pytest.raises(EntryNotFoundError):
        hf_hub_download(
            "me/data",
            "missing.txt",
            repo_type="dataset",
            endpoint=hub.url,
            local_dir=tmp_path / "d",
        )
    api.create_tag("me/data", tag="v3.0", repo_type="dataset")
    with pytest.raises(HfHubHTTPError, match="409"):
        api.create_tag("me/data", tag="v3.0", repo_type="dataset")


def test_trees_refs_and_ranges(hub):
    api = _seed(hub)
    top = {e.path for e in api.list_repo_tree("me/data", repo_type="dataset")}
    assert top == {"meta", "data"}
    every = {e.path for e in api.list_repo_tree("me/data", repo_type="dataset", recursive=True)}
    assert "data/chunk-000/file-000.parquet" in every and "data/chunk-000" in every
    info = api.get_paths_info("me/data", ["meta/info.json", "data", "nope"], repo_type="dataset")
    assert [(i.path, type(i).__name__) for i in info] == [
        ("meta/info.json", "RepoFile"),
        ("data", "RepoFolder"),
    ]
    api.create_branch("me/data", branch="dev", repo_type="dataset")
    refs = api.list_repo_refs("me/data", repo_type="dataset")
    assert {b.name for b in refs.branches} == {"main", "dev"}
    url = f"{hub.url}/datasets/me/data/resolve/main/meta/info.json"
    request = urllib.request.Request(url, headers={"Range": "bytes=2-5"})
    with urllib.request.urlopen(request) as response:
        assert response.status == 206 and response.read() == b"2345"
        assert response.headers["Content-Range"] == "bytes 2-5/10"
    # the same range reading as the loopback server (lr_dataset.streaming.loopback.byte_range)
    for header, status, body, content_range in [
        ("bytes=-3", 206, b"789", "bytes 7-9/10"),
        ("bytes=7-", 206, b"789", "bytes 7-9/10"),
        ("bytes=5-100", 206, b"56789", "bytes 5-9/10"),
        ("bytes=0-1,4-5", 200, b"0123456789", None),  # not one range: the whole file
    ]:
        request = urllib.request.Request(url, headers={"Range": header})
        with urllib.request.urlopen(request) as response:
            assert (response.status, response.read()) == (status, body), header
            assert response.headers["Content-Range"] == content_range, header
    with pytest.raises(urllib.error.HTTPError) as outside:  # was a 206 of nothing
        urllib.request.urlopen(urllib.request.Request(url, headers={"Range": "bytes=10-"}))
    assert outside.value.code == 416 and outside.value.headers["Content-Range"] == "bytes */10"
    # commits on main move the branch; old commits stay readable by sha
    old = api.repo_info("me/data", repo_type="dataset").sha
    api.delete_file("meta/info.json", "me/data", repo_type="dataset")
    assert "meta/info.json" not in hub.files("me/data")
    assert "meta/info.json" in hub.files("me/data", old)
