"""The timed loop of the streaming benchmark, shared by our side (tools/bench/streaming.py) and
LeRobot's (tools/bench/streaming_peer.py), plus a sampler of memory and cache disk (Linux
``/proc``; no psutil needed)."""

from __future__ import annotations

import argparse
import os
import threading
import time
from pathlib import Path
from typing import Any

from dataset_synth import CAMERA


def _memory_kb(pid: int) -> tuple[int, int]:
    """``(RSS, PSS)`` of a process in KiB. PSS splits pages shared between processes (forked
    DataLoader workers share the parent's) among them, so PSS adds up across processes."""
    rss = pss = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup") as handle:
            for line in handle:
                if line.startswith("Rss:"):
                    rss = int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss = int(line.split()[1])
    except OSError:
        pass
    return rss, pss


def _cpu_s(pid: int, stat: str = "stat") -> float:
    """User + system CPU seconds a process (or, with ``stat="task/<tid>/stat"``, one of its
    threads) has used (``/proc/<pid>/stat``)."""
    try:
        with open(f"/proc/{pid}/{stat}") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tree_cpu_s() -> float:
    """CPU seconds used so far by this process and its live children (DataLoader workers)."""
    return sum(_cpu_s(p) for p in _tree(os.getpid()))


def _children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as handle:
                out += [int(x) for x in handle.read().split()]
    except OSError:
        pass
    return out


def _tree(pid: int) -> list[int]:
    todo, seen = [pid], []
    while todo:
        p = todo.pop()
        seen.append(p)
        todo += _children(p)
    return seen


def _disk_bytes(folder: Path | None) -> int:
    if folder is None or not folder.exists():
        return 0
    total = 0
    for base, _, files in os.walk(folder):
        for name in files:
            try:
                total += os.stat(os.path.join(base, name)).st_blocks * 512
            except OSError:
                pass
    return total


class Sampler:
    """Peak memory of this process and its children (PSS summed over them, largest RSS), and
    peak disk use of a folder, sampled every ``period_s`` on a thread.

    Reading ``smaps_rollup`` is not free: about 11 ms of CPU per process with torch loaded
    (its many mappings), charged to this process. Sampled every 50 ms, as this benchmark once
    did, that was about half a core on a 2-core machine, taken from the workers and counted in
    the CPU to the first batch. :attr:`cpu_s` is the thread's own CPU, which
    :func:`measure_stream` leaves out of its CPU figures."""

    def __init__(self, folder: Path | None = None, period_s: float = 0.25) -> None:
        self.folder = folder
        self.period_s = period_s
        self.peak_total_kb = 0
        self.peak_one_kb = 0
        self.peak_disk = 0
        self._tid: int | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @property
    def cpu_s(self) -> float:
        """CPU seconds the sampling thread has used so far."""
        if self._tid is None:
            return 0.0
        return _cpu_s(os.getpid(), f"task/{self._tid}/stat")

    def _run(self) -> None:
        self._tid = threading.get_native_id()
        while not self._stop.is_set():
            memory = [_memory_kb(p) for p in _tree(os.getpid())]
            self.peak_total_kb = max(self.peak_total_kb, sum(pss for _, pss in memory))
            self.peak_one_kb = max(self.peak_one_kb, max(rss for rss, _ in memory))
            self.peak_disk = max(self.peak_disk, _disk_bytes(self.folder))
            self._stop.wait(self.period_s)

    def __enter__(self) -> Sampler:
        self._thread.start()
        while self._tid is None:
            time.sleep(0.001)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def measure_stream(make_loader: Any, args: argparse.Namespace, folder: Path | None = None) -> dict:
    """``make_loader()`` builds the dataset and its DataLoader (batch 8, ``args.workers``
    workers); timed from that call to the first batch, then ``args.batches`` batches. The
    caller imports the libraries first: import time is not counted."""
    import torch

    torch.set_num_threads(2)
    with Sampler(folder) as sampler:
        cpu0 = tree_cpu_s() - sampler.cpu_s
        t0 = time.perf_counter()
        loader = make_loader()
        it = iter(loader)
        next(it)
        first = time.perf_counter() - t0
        sampler_cpu = sampler.cpu_s
        first_cpu = tree_cpu_s() - sampler_cpu - cpu0
        cpu1 = tree_cpu_s() - sampler.cpu_s
        t0 = time.perf_counter()
        n = 0
        for _ in range(args.batches):
            batch = next(it)
            n += len(batch["index"])
        dt = time.perf_counter() - t0
        steady_cpu = tree_cpu_s() - sampler.cpu_s - cpu1
        assert batch[CAMERA].dtype == torch.float32
        del it, loader
    return {
        "first_batch_s": first,
        # CPU of the process and its workers until then (the memory sampler's own left out):
        # what other load on the machine disturbs far less than the wall-clock figure
        "first_batch_cpu_s": first_cpu,
        "sampler_cpu_to_first_batch_s": sampler_cpu,
        "samples_per_s": n / dt,
        # CPU of the process and its workers per sample over those batches: the steadier
        # figure when other jobs share the cores
        "cpu_ms_per_sample": 1e3 * steady_cpu / n,
        "samples": n,
        "peak_pss_total_mb": sampler.peak_total_kb / 1024,
        "peak_rss_largest_mb": sampler.peak_one_kb / 1024,
        "peak_cache_disk_mb": sampler.peak_disk / 1e6,
    }
