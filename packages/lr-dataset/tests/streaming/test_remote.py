"""Streaming from a real HTTP server on 127.0.0.1 with range requests: the same samples as the
local map-style dataset, only the bytes an episode needs, the cache within its budget and empty
after the epoch, retries that recover, a killed server that ends in a clear error (never a hang,
never a skipped or repeated frame)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import warnings

import pytest
import torch

from lr_dataset.dataset import LeRobotDataset
from lr_dataset.errors import DatasetFetchError, DatasetFormatError
from lr_dataset.streaming import ranges
from lr_dataset.streaming.dataset import StreamingLeRobotDataset as NumpyStream
from lr_dataset.streaming.loopback import LoopbackServer
from lr_dataset.streaming.torch_dataset import StreamingLeRobotDataset
from lr_dataset.testing import WINDOWS, assert_same_item, files_of, indices


@pytest.fixture
def small_reads(monkeypatch):
    """Header reads of 256 bytes, so that even these small files are read in several ranges."""
    monkeypatch.setattr(ranges, "HEAD_BYTES", 256)


@pytest.mark.parametrize("fixture", ["rollover", "bframes", "images"])
def test_samples_over_http_equal_the_local_map_style_ones(fixture, request, home, small_reads):
    root = request.getfixturevalue(fixture)
    reference = LeRobotDataset("t/x", root=root, delta_timestamps=WINDOWS)
    with LoopbackServer(root.parent) as server:
        url = f"{server.url}/{root.name}"
        stream = NumpyStream("t/x", root=url, delta_timestamps=WINDOWS, episode_pool_size=3)
        items = list(stream)
        data_gets = [r for r in server.requests if r[0] == "GET" and "/meta/" not in r[1]]
    assert sorted(indices(items)) == list(range(len(reference)))
    for item in items:
        assert_same_item(item, reference[int(item["index"])])
    assert data_gets and all(
        rng is not None and rng.startswith("bytes=") for _, _, rng in data_gets
    )


def test_only_the_bytes_of_the_selected_episode_are_fetched(rollover, home, small_reads):
    video = files_of(rollover, "videos")[0]
    meta = LeRobotDataset("t/x", root=rollover).meta
    in_file = [
        r["episode_index"]
        for r in meta.episodes
        if meta.get_video_file_path(r["episode_index"], "observation.images.front")
        == video.relative_to(rollover)
    ]
    assert len(in_file) >= 2
    with LoopbackServer(rollover.parent) as server:
        stream = NumpyStream("t/x", root=f"{server.url}/{rollover.name}", episodes=[in_file[-1]])
        assert len(list(stream)) == meta.episodes[in_file[-1]]["length"]
        fetched = 0
        for _, path, wanted in server.requests:
            if path.endswith(str(video.relative_to(rollover))) and wanted:
                a, b = wanted.removeprefix("bytes=").split("-")
                fetched += int(b) - int(a) + 1
    assert 0 < fetched < video.stat().st_size


def test_cache_stays_in_budget_and_is_empty_after_the_epoch(served, home, small_reads):
    _, url = served
    budget = 18_000

    def run(budget_bytes):
        stream = NumpyStream(
            "t/x",
            root=url,
            episode_pool_size=2,
            cache_budget_gb=budget_bytes / 1e9,
            prefetch_episodes=3,
        )
        seen = 0
        for _ in stream:
            for stats in stream.cache_stats().values():
                seen = max(seen, stats.used_bytes)
                assert stats.used_bytes <= budget_bytes
        (final,) = stream.cache_stats().values()
        return seen, final

    unbounded, _ = run(10**9)
    assert unbounded > budget  # the look-ahead would take more than the budget
    seen, final = run(budget)
    assert 0 < seen <= final.peak_bytes <= budget and final.over_budget == 0
    assert final.used_bytes == 0 and final.files == 0
    data = home / "stream-cache" / "data"
    assert not [p for p in data.rglob("*") if p.is_file()]


def test_an_episode_larger_than_the_budget_is_read_with_a_warning(served, small_reads, caplog):
    _, url = served
    stream = NumpyStream("t/x", root=url, episode_pool_size=2, cache_budget_gb=2e-6)
    assert len(list(stream)) > 0
    (final,) = stream.cache_stats().values()
    assert final.over_budget > 0
    assert "over its budget" in caplog.text


def test_transient_server_errors_are_retried(served, rollover, small_reads):
    server, url = served
    reference = LeRobotDataset("t/x", root=rollover)
    stream = NumpyStream("t/x", root=url, fetch_backoff_s=0.01)
    for epoch in range(2):  # the second epoch retries as the first did
        stream.set_epoch(epoch)
        server.fail("file-001.mp4", 2, status=503)
        server.fail("data/chunk-000/file-000.parquet", 1, status=500)
        items = list(stream)
        assert sorted(indices(items)) == list(range(len(reference)))
        for item in items[:10]:
            assert_same_item(item, reference[int(item["index"])])
        assert not server._server.faults["file-001.mp4"]


def test_a_missing_file_fails_at_once_naming_it(served, rollover, small_reads, tmp_path, caplog):
    server, url = served
    server.fail("data/chunk-000/file-001.parquet", 100, status=404)
    stream = NumpyStream("t/x", root=url, fetch_retries=3, fetch_backoff_s=5.0)
    with (
        caplog.at_level("INFO"),
        pytest.raises(DatasetFormatError, match=r"data/chunk-000/file-001.parquet not found"),
    ):
        list(stream)
    assert "retrying" not in caplog.text  # no retry waits (logged before each, not timed)


def test_a_server_killed_mid_epoch_ends_in_a_clear_error(rollover, home, small_reads):
    straight = None
    proc = subprocess.Popen(
        [sys.executable, "-m", "lr_dataset.streaming.loopback", str(rollover.parent)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        url = proc.stdout.readline().split()[-1] + f"/{rollover.name}"
        kwargs = {"episode_pool_size": 1, "prefetch_episodes": 0, "seed": 5}
        straight = indices(NumpyStream("t/x", root=url, **kwargs))
        stream = NumpyStream("t/x", root=url, fetch_retries=2, fetch_backoff_s=0.05, **kwargs)
        it = iter(stream)
        got = [int(next(it)["index"]) for _ in range(30)]
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        with pytest.raises(DatasetFetchError) as excinfo:
            while True:
                got.append(int(next(it)["index"]))
    finally:
        proc.kill()
        proc.wait()
    message = str(excinfo.value)
    assert url in message and ("file-" in message) and "failed 3 time(s)" in message
    assert got == straight[: len(got)] and len(set(got)) == len(got) and len(got) < len(straight)


def test_workers_stream_over_http(served, rollover):
    _, url = served
    stream = StreamingLeRobotDataset("t/x", root=url, episode_pool_size=2, seed=3)
    loader = torch.utils.data.DataLoader(stream, batch_size=5, num_workers=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        seen = [i for batch in loader for i in batch["index"].tolist()]
    assert sorted(seen) == list(range(len(LeRobotDataset("t/x", root=rollover))))


def test_fsspec_urls_stream_through_cat_file(rollover, home, small_reads):
    import fsspec

    fs = fsspec.filesystem("memory")
    for path in rollover.rglob("*"):
        if path.is_file():
            fs.pipe(f"/ds/{path.relative_to(rollover)}", path.read_bytes())
    try:
        reference = LeRobotDataset("t/x", root=rollover, delta_timestamps=WINDOWS)
        stream = NumpyStream("t/x", root="memory://ds", delta_timestamps=WINDOWS, seed=1)
        items = list(stream)
        assert sorted(indices(items)) == list(range(len(reference)))
        for item in items:
            assert_same_item(item, reference[int(item["index"])])
    finally:
        fs.rm("/ds", recursive=True)


def test_a_url_that_is_not_a_dataset_is_a_clear_error(served):
    server, _ = served
    with pytest.raises(DatasetFormatError, match="info.json not found: not a LeRobot v3.0"):
        NumpyStream("t/x", root=f"{server.url}/nothing")


def test_a_stream_pickles_while_it_is_being_iterated(served):
    import pickle

    _, url = served
    stream = NumpyStream("t/x", root=url, seed=1)
    it = iter(stream)
    first = next(it)
    copy = pickle.loads(pickle.dumps(stream))  # what a "spawn" DataLoader does
    assert int(next(iter(copy))["index"]) == int(first["index"])
    it.close()
