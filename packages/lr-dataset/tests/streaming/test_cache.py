"""The range cache: reference counts across owners, holes punched for released bytes, files
deleted with their last owner, the budget, concurrent fetches of the same bytes."""

from __future__ import annotations

import threading

import pytest

from lr_dataset.streaming.cache import NoRoom, RangeCache, merge, subtract, total

SIZE = 1 << 20
DATA = bytes(range(256)) * (SIZE // 256)


class Remote:
    """Counts the bytes asked for; can be made to fail or to wait."""

    def __init__(self):
        self.asked: list[tuple[int, int]] = []
        self.fail = False
        self.gate: threading.Event | None = None

    def fetch(self, relative, a, b):
        self.asked.append((a, b))
        if self.gate is not None:
            self.gate.wait(5)
        if self.fail:
            raise OSError("connection refused")
        return DATA[a:b]

    def size(self, relative):
        return SIZE


def make(tmp_path, budget=SIZE, **kwargs):
    remote = Remote()
    return RangeCache(tmp_path / "c", budget, remote.fetch, remote.size, **kwargs), remote


def test_range_arithmetic():
    assert merge([(5, 9), (0, 3), (3, 4), (8, 12), (20, 20)]) == [(0, 4), (5, 12)]
    assert subtract([(0, 10), (20, 30)], [(2, 4), (8, 25)]) == [(0, 2), (4, 8), (25, 30)]
    assert subtract([(0, 10)], []) == [(0, 10)] and subtract([(0, 10)], [(0, 10)]) == []
    assert total([(0, 4), (5, 12)]) == 11


def test_bytes_are_fetched_once_and_read_back(tmp_path):
    cache, remote = make(tmp_path)
    path = cache.acquire("a", "v.mp4", [(100, 5000)])
    cache.acquire("b", "v.mp4", [(4000, 9000)])
    assert remote.asked == [(100, 5000), (5000, 9000)]
    content = path.read_bytes()
    assert len(content) == SIZE and content[100:9000] == DATA[100:9000]
    assert content[:100] == bytes(100)  # never fetched: a hole
    assert cache.used_bytes == 8900


def test_release_punches_what_nobody_holds_and_deletes_the_last(tmp_path):
    cache, _ = make(tmp_path)
    path = cache.acquire("a", "v.mp4", [(0, 200_000)])
    cache.acquire("b", "v.mp4", [(150_000, 400_000)])
    blocks_before = path.stat().st_blocks
    cache.release("b")
    assert path.stat().st_blocks < blocks_before
    assert cache.used_bytes <= 200_000 + 4096 and cache.held("a") == {"v.mp4": [(0, 200_000)]}
    assert path.read_bytes()[:200_000] == DATA[:200_000]
    cache.release("a")
    assert not path.exists() and cache.used_bytes == 0 and cache.stats().files == 0
    assert path in cache.deleted_paths


def test_release_of_one_file_keeps_the_others(tmp_path):
    cache, _ = make(tmp_path)
    cache.acquire("a", "x.parquet", [(0, 10)])
    cache.acquire("a", "v.mp4", [(0, 10)])
    cache.release("a", "x.parquet")
    assert list(cache.held("a")) == ["v.mp4"]


def test_optional_acquisitions_respect_the_budget(tmp_path):
    cache, _ = make(tmp_path, budget=10_000)
    cache.acquire("a", "v.mp4", [(0, 8000)])
    with pytest.raises(NoRoom):
        cache.acquire("b", "v.mp4", [(20_000, 25_000)], required=False)
    assert "b" not in [o for f in cache._files.values() for o in f.holds]
    cache.acquire("b", "v.mp4", [(20_000, 25_000)])  # required: goes over, counted
    stats = cache.stats()
    assert stats.over_budget == 1 and stats.peak_bytes == 13_000


def test_required_acquisitions_take_back_look_ahead_room(tmp_path):
    given_back = []

    def make_room():
        if given_back:
            return False
        cache.release("ahead")
        given_back.append(True)
        return True

    cache, _ = make(tmp_path, budget=10_000, make_room=make_room)
    cache.acquire("ahead", "v.mp4", [(0, 8000)], required=False)
    cache.acquire("now", "v.mp4", [(50_000, 55_000)])
    assert given_back and cache.stats().over_budget == 0 and cache.used_bytes <= 10_000


def test_a_failed_fetch_leaves_nothing_held(tmp_path):
    cache, remote = make(tmp_path)
    cache.acquire("a", "v.mp4", [(0, 100)])
    remote.fail = True
    with pytest.raises(OSError, match="refused"):
        cache.acquire("a", "v.mp4", [(1000, 2000)])
    with pytest.raises(OSError):
        cache.acquire("b", "v.mp4", [(1000, 2000)])
    assert cache.held("a") == {"v.mp4": [(0, 100)]} and cache.held("b") == {}
    assert cache.used_bytes == 100


def test_concurrent_owners_share_one_fetch(tmp_path):
    cache, remote = make(tmp_path)
    remote.gate = threading.Event()
    threads = [
        threading.Thread(target=cache.acquire, args=(k, "v.mp4", [(0, 50_000)])) for k in range(4)
    ]
    for t in threads:
        t.start()
    remote.gate.set()
    for t in threads:
        t.join(10)
    assert remote.asked == [(0, 50_000)]
    assert all(cache.held(k) == {"v.mp4": [(0, 50_000)]} for k in range(4))


def test_generation_changes_when_bytes_arrive(tmp_path):
    cache, _ = make(tmp_path)
    cache.acquire("a", "v.mp4", [(0, 10)])
    g = cache.generation("v.mp4")
    cache.acquire("a", "v.mp4", [(0, 10)])
    assert cache.generation("v.mp4") == g
    cache.acquire("a", "v.mp4", [(10, 20)])
    assert cache.generation("v.mp4") > g
    cache.release("a")
    assert cache.generation("v.mp4") == -1


def test_close_removes_the_folder(tmp_path):
    cache, _ = make(tmp_path)
    cache.acquire("a", "d/v.mp4", [(0, 10)])
    cache.close()
    assert not (tmp_path / "c").exists()
    with pytest.raises(RuntimeError, match="closed"):
        cache.acquire("a", "d/v.mp4", [(0, 10)])
