"""Remote files: range reads over HTTP against the loopback server (206, sizes, servers that
ignore ranges, retries and their limit), fsspec URLs, and where a repo id is streamed from."""

from __future__ import annotations

import http.server
import threading
from pathlib import Path

import pytest

from lr_dataset.errors import DatasetFetchError, DatasetFormatError
from lr_dataset.streaming.loopback import LoopbackServer
from lr_dataset.streaming.source import RemoteFiles, fetch_metadata, resolve_location

DATA = bytes(range(256)) * 40


@pytest.fixture
def server(tmp_path):
    (tmp_path / "www" / "d").mkdir(parents=True)
    (tmp_path / "www" / "d" / "f.bin").write_bytes(DATA)
    with LoopbackServer(tmp_path / "www") as srv:
        yield srv


def test_range_reads_and_sizes(server):
    files = RemoteFiles(server.url)
    assert files.size("d/f.bin") == len(DATA)
    assert files.read("d/f.bin", 100, 1000) == DATA[100:1000]
    assert files.read("d/f.bin", 5, 5) == b""
    assert files.read_all("d/f.bin") == DATA
    gets = [r for r in server.requests if r[0] == "GET"]
    assert gets[0][2] == "bytes=100-999"


def test_loopback_server_speaks_ranges(server):
    import http.client

    conn = http.client.HTTPConnection(server.url.removeprefix("http://"))
    for header, status, body in [
        ("bytes=10-19", 206, DATA[10:20]),
        ("bytes=-5", 206, DATA[-5:]),
        ("bytes=10000-", 206, DATA[10000:]),
        ("bytes=20000-30000", 416, b""),
    ]:
        conn.request("GET", "/d/f.bin", headers={"Range": header})
        response = conn.getresponse()
        assert (response.status, response.read()) == (status, body)
    conn.request("GET", "/../etc/passwd")
    response = conn.getresponse()
    response.read()
    assert response.status == 404


def test_missing_files_fail_at_once(server, caplog):
    files = RemoteFiles(server.url, retries=3, backoff_s=10)
    with caplog.at_level("INFO"), pytest.raises(DatasetFormatError, match="d/none.bin not found"):
        files.read("d/none.bin", 0, 10)
    # not retried: one request, no backoff wait (counted, not timed)
    assert len([r for r in server.requests if "none.bin" in r[1]]) == 1
    assert "retrying" not in caplog.text
    assert not files.exists("d/none.bin")


def test_transient_errors_are_retried_then_reported(server):
    server.fail("f.bin", 2, status=503)
    files = RemoteFiles(server.url, retries=2, backoff_s=0.01)
    assert files.read("d/f.bin", 0, 10) == DATA[:10]
    server.fail("f.bin", 3, status=502)
    with pytest.raises(DatasetFetchError, match=r"bytes 0-9 of .*d/f.bin: failed 3 time\(s\)"):
        files.read("d/f.bin", 0, 10)


def test_refused_requests_are_not_retried(server):
    server.fail("f.bin", 5, status=403)
    files = RemoteFiles(server.url, retries=4, backoff_s=10)
    with pytest.raises(DatasetFetchError, match="HTTP 403"):
        files.read("d/f.bin", 0, 10)


def test_a_dead_server_is_reported_within_the_retries(tmp_path):
    srv = LoopbackServer(tmp_path).start()
    url = srv.url
    srv.stop()
    files = RemoteFiles(url, retries=2, backoff_s=0.05, timeout_s=2)
    with pytest.raises(DatasetFetchError, match=r"failed 3 time\(s\).*ConnectionRefusedError"):
        files.read("d/f.bin", 0, 10)


class _NoRanges(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", str(len(DATA)))
        self.end_headers()
        self.wfile.write(DATA)

    do_HEAD = do_GET


def test_a_server_without_ranges_still_works(caplog):
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _NoRanges)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        files = RemoteFiles(f"http://127.0.0.1:{srv.server_address[1]}")
        assert files.read("x", 30, 40) == DATA[30:40]
        assert "ignores range requests" in caplog.text
    finally:
        srv.shutdown()
        srv.server_close()


def test_where_a_repo_id_streams_from(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_LEROBOT_HOME", str(tmp_path))
    assert resolve_location("u/d", None) == "hf://datasets/u/d@v3.0"
    assert resolve_location("u/d", None, revision="main") == "hf://datasets/u/d@main"
    assert resolve_location("u/d", None, repo_type="bucket") == "hf://buckets/u/d"
    (tmp_path / "u/d/meta").mkdir(parents=True)
    (tmp_path / "u/d/meta/info.json").write_text("{}")
    assert resolve_location("u/d", None) == tmp_path / "u/d"
    assert resolve_location("u/d", "http://h/x/") == "http://h/x"
    assert resolve_location("u/d", "file:///data/x") == Path("/data/x")
    with pytest.raises(ValueError, match="repo_type"):
        resolve_location("u/d", None, repo_type="model")


def test_metadata_is_refreshed_and_stale_files_removed(rollover, tmp_path):
    with LoopbackServer(rollover.parent) as srv:
        files = RemoteFiles(f"{srv.url}/{rollover.name}")
        folder = fetch_metadata(files, tmp_path / "meta")
        stale = folder / "meta/episodes/chunk-000/file-099.parquet"
        stale.write_bytes(b"old")
        fetch_metadata(files, folder)
    assert (folder / "meta/info.json").read_bytes() == (rollover / "meta/info.json").read_bytes()
    assert not stale.exists()
    names = sorted(p.name for p in (folder / "meta/episodes/chunk-000").iterdir())
    assert names == sorted(p.name for p in (rollover / "meta/episodes/chunk-000").iterdir())


class _Redirect(http.server.BaseHTTPRequestHandler):
    """Redirects every request to ``target``; records the Authorization header it got."""

    protocol_version = "HTTP/1.1"
    target = ""
    seen: list = []

    def log_message(self, *args):
        pass

    def do_GET(self):
        type(self).seen.append(self.headers.get("Authorization"))
        self.send_response(302)
        self.send_header("Location", type(self).target + self.path)
        self.send_header("Content-Length", "0")
        self.end_headers()


class _Target(http.server.BaseHTTPRequestHandler):
    """Answers any range request with bytes of DATA; records the Authorization header."""

    protocol_version = "HTTP/1.1"
    seen: list = []

    def log_message(self, *args):
        pass

    def do_GET(self):
        type(self).seen.append(self.headers.get("Authorization"))
        a, b = (int(x) for x in self.headers["Range"].removeprefix("bytes=").split("-"))
        body = DATA[a : b + 1]
        self.send_response(206)
        self.send_header("Content-Range", f"bytes {a}-{b}/{len(DATA)}")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def test_redirects_are_followed_without_credentials_to_another_host():
    servers = []
    for handler in (_Target, _Redirect):
        srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        servers.append(srv)
    target, front = servers
    _Redirect.target = f"http://127.0.0.1:{target.server_address[1]}"
    _Redirect.seen, _Target.seen = [], []
    try:
        files = RemoteFiles(
            f"http://localhost:{front.server_address[1]}",
            headers={"Authorization": "Bearer secret"},
        )
        assert files.read("d/f.bin", 10, 20) == DATA[10:20]
        assert _Redirect.seen == ["Bearer secret"] and _Target.seen == [None]
    finally:
        for srv in servers:
            srv.shutdown()
            srv.server_close()
