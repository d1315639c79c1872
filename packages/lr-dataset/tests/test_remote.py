"""Dataset roots as URLs: a real http.server on 127.0.0.1 serving a dataset folder."""

from __future__ import annotations

import functools
import shutil
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from lr_dataset.dataset import LeRobotDataset
from lr_dataset.errors import DatasetFormatError
from lr_dataset.remote import RemoteDataset, cache_dir_for, is_url

FIXTURES = Path(__file__).parent / "fixtures"


class _Handler(SimpleHTTPRequestHandler):
    requests: list[tuple[str, str]] = []

    def log_message(self, *args) -> None:  # keep pytest output clean
        pass

    def do_GET(self):
        type(self).requests.append(("GET", self.path))
        super().do_GET()

    def do_HEAD(self):
        type(self).requests.append(("HEAD", self.path))
        super().do_HEAD()


@pytest.fixture
def served(tmp_path, monkeypatch):
    """(url, folder): a copy of the LeRobot 0.6.1 video fixture served over http on loopback."""
    monkeypatch.setenv("HF_LEROBOT_HOME", str(tmp_path / "home"))
    folder = tmp_path / "www"
    shutil.copytree(FIXTURES / "lerobot-0.6.1-video", folder / "ds")
    _Handler.requests = []
    handler = functools.partial(_Handler, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/ds", folder / "ds"
    server.shutdown()
    server.server_close()


def test_is_url():
    assert is_url("http://127.0.0.1:8000/x") and is_url("hf://datasets/a/b")
    assert not is_url("/data/x") and not is_url("file:///data/x")


def test_read_over_http_matches_local_and_is_cached(served):
    url, folder = served
    remote = LeRobotDataset("t/remote", root=url)
    local = LeRobotDataset("t/local", root=folder)
    assert remote.root == cache_dir_for(url)
    assert len(remote) == len(local)
    for i in range(len(local)):
        a, b = remote[i], local[i]
        for key, value in b.items():
            if isinstance(value, np.ndarray):
                np.testing.assert_array_equal(a[key], value)
            else:
                assert a[key] == value
    gets = [p for m, p in _Handler.requests if m == "GET"]
    assert any(p.endswith(".mp4") for p in gets) and any("data/chunk-000" in p for p in gets)

    # second open: metadata is fetched again, data and videos come from the cache
    _Handler.requests = []
    LeRobotDataset("t/remote", root=url)
    gets = [p for m, p in _Handler.requests if m == "GET"]
    assert gets and all("/meta/" in p for p in gets)


def test_changed_file_is_downloaded_again(served, tmp_path):
    url, folder = served
    remote = RemoteDataset(url, cache=tmp_path / "cache")
    remote.materialize()
    data = "data/chunk-000/file-000.parquet"
    assert data in remote.downloaded
    # the server's file changes size: the cached copy is replaced
    with open(folder / data, "ab") as handle:
        handle.write(b"\0")
    again = RemoteDataset(url, cache=tmp_path / "cache")
    again.materialize()
    assert data in again.downloaded
    assert (tmp_path / "cache" / data).stat().st_size == (folder / data).stat().st_size


def test_missing_dataset_url_is_a_clear_error(served):
    url, _ = served
    with pytest.raises(DatasetFormatError, match="info.json not found"):
        LeRobotDataset("t/x", root=url + "-missing")
