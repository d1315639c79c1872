"""LeRobot side of tools/bench/dataset.py (run by the peer's interpreter, never imported).

usage: python dataset_peer.py write ROOT --episodes N --frames N --height H --width W
       python dataset_peer.py read ROOT --batches N [--workers 2]
       python dataset_peer.py meta ROOT
Prints one ``RESULT {json}`` line.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from dataset_synth import FPS, delta_timestamps, features, frame_bank, synth_frame


def write(args: argparse.Namespace) -> dict:
    from lerobot.datasets.lerobot_dataset import LeRobotDataset

    bank = frame_bank(args.height, args.width)
    t0 = time.perf_counter()
    ds = LeRobotDataset.create(
        "bench/synthetic",
        fps=FPS,
        features=features(args.height, args.width),
        root=args.root,
        robot_type="so_follower",
        use_videos=True,
    )
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


def read(args: argparse.Namespace) -> dict:
    import torch
    from lerobot.datasets.lerobot_dataset import LeRobotDataset

    torch.set_num_threads(2)
    t0 = time.perf_counter()
    ds = LeRobotDataset("bench/synthetic", root=args.root, delta_timestamps=delta_timestamps())
    open_s = time.perf_counter() - t0
    loader = torch.utils.data.DataLoader(
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
    dt = time.perf_counter() - t0
    del it
    return {
        "open_s": open_s,
        "first_batch_s": first,
        "samples_per_s": n / dt,
        "samples": n,
        "peak_rss_main_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "peak_rss_worker_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    }


def cpu(args: argparse.Namespace) -> dict:
    """CPU time per item, in one process (robust to other load on the machine)."""
    import numpy as np
    import torch
    from lerobot.datasets.lerobot_dataset import LeRobotDataset

    torch.set_num_threads(1)
    ds = LeRobotDataset("bench/synthetic", root=args.root, delta_timestamps=delta_timestamps())
    idx = np.random.default_rng(0).integers(0, len(ds), 200)
    ds[0]
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for i in idx:
        ds[int(i)]
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    return {"cpu_ms_per_item": cpu / len(idx) * 1000, "wall_ms_per_item": wall / len(idx) * 1000}


def meta(args: argparse.Namespace) -> dict:
    from lerobot.datasets.dataset_metadata import LeRobotDatasetMetadata

    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        m = LeRobotDatasetMetadata("bench/meta", root=args.root)
        times.append(time.perf_counter() - t0)
        assert m.total_episodes == len(m.episodes)
    return {"times_s": times}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("case", choices=["write", "read", "cpu", "meta"])
    p.add_argument("root")
    p.add_argument("--episodes", type=int, default=20)
    p.add_argument("--frames", type=int, default=200)
    p.add_argument("--height", type=int, default=480)
    p.add_argument("--width", type=int, default=640)
    p.add_argument("--batches", type=int, default=50)
    p.add_argument("--workers", type=int, default=2)
    args = p.parse_args()
    result = {"write": write, "read": read, "cpu": cpu, "meta": meta}[args.case](args)
    print("RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
