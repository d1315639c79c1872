"""The timed loops of the dataset benchmark, shared by our side (tools/bench/dataset.py) and
LeRobot's (tools/bench/dataset_peer.py): both libraries expose the same LeRobotDataset API, so
each loop takes the class and runs identically in either interpreter."""

from __future__ import annotations

import argparse
import resource
import time
from typing import Any

from dataset_synth import CAMERA, FPS, delta_timestamps, features, frame_bank, synth_frame


def measure_write(create: Any, args: argparse.Namespace) -> dict:
    """Write ``args.episodes × args.frames`` synthetic frames; ``create()`` opens the dataset."""
    bank = frame_bank(args.height, args.width)
    t0 = time.perf_counter()
    ds = create()
    setup = time.perf_counter() - t0
    add_s, saves = 0.0, []
    for ep in range(args.episodes):
        for i in range(args.frames):
            f = synth_frame(bank, ep, i)
            a = time.perf_counter()
            ds.add_frame(f)
            add_s += time.perf_counter() - a
        a = time.perf_counter()
        ds.save_episode()
        saves.append(time.perf_counter() - a)
    a = time.perf_counter()
    ds.finalize()
    fin = time.perf_counter() - a
    return {
        "write_s": setup + add_s + sum(saves) + fin,
        "add_frame_s": add_s,
        "save_s": saves,
        "frames": args.episodes * args.frames,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def measure_lr_write(args: argparse.Namespace) -> dict:
    """:func:`measure_write` on lr's ``LeRobotDataset`` at ``args.root`` (our side only: the
    write case of tools/bench/dataset.py and tools/bench/streaming.py)."""
    from lr_dataset.dataset import LeRobotDataset

    def create() -> LeRobotDataset:
        return LeRobotDataset.create(
            "bench/synthetic",
            FPS,
            features(args.height, args.width),
            root=args.root,
            robot_type="so_follower",
        )

    return measure_write(create, args)


def measure_read(dataset_class: Any, args: argparse.Namespace, loader_class: Any = None) -> dict:
    """DataLoader throughput: batch 8, shuffle, ``args.workers`` workers, the delta windows;
    ``loader_class`` defaults to ``torch.utils.data.DataLoader``."""
    import torch

    loader_class = loader_class or torch.utils.data.DataLoader

    torch.set_num_threads(2)
    t0 = time.perf_counter()
    ds = dataset_class("bench/synthetic", root=args.root, delta_timestamps=delta_timestamps())
    open_s = time.perf_counter() - t0
    loader = loader_class(
        ds,
        batch_size=8,
        shuffle=True,
        num_workers=args.workers,
        generator=torch.Generator().manual_seed(0),
    )
    it = iter(loader)
    t0 = time.perf_counter()
    next(it)
    first = time.perf_counter() - t0
    t0 = time.perf_counter()
    n = 0
    for _ in range(args.batches):
        batch = next(it)
        n += len(batch["index"])
    assert batch[CAMERA].dtype == torch.float32  # both loaders hand out float32 frames
    dt = time.perf_counter() - t0
    del it
    return {
        "open_s": open_s,
        "first_batch_s": first,
        "samples_per_s": n / dt,
        # LeRobot 0.6.1 keeps its decoder in _video_backend; lr decodes with PyAV
        "video_backend": getattr(ds, "_video_backend", None) or "pyav",
        "samples": n,
        "peak_rss_main_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "peak_rss_worker_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    }


def measure_cpu(dataset_class: Any, args: argparse.Namespace) -> dict:
    """CPU time per item, in one process (robust to other load on the machine)."""
    import numpy as np
    import torch

    torch.set_num_threads(1)
    ds = dataset_class("bench/synthetic", root=args.root, delta_timestamps=delta_timestamps())
    idx = np.random.default_rng(0).integers(0, len(ds), 200)
    ds[0]
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for i in idx:
        ds[int(i)]
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    return {"cpu_ms_per_item": cpu / len(idx) * 1000, "wall_ms_per_item": wall / len(idx) * 1000}


def measure_meta(metadata_class: Any, args: argparse.Namespace) -> dict:
    """Five opens of the metadata of the 10,000-episode dataset."""
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        m = metadata_class("bench/meta", root=args.root)
        times.append(time.perf_counter() - t0)
        assert m.total_episodes == len(m.episodes)
    return {"times_s": times}
