"""Streaming benchmark: lr's StreamingLeRobotDataset (local folder and loopback HTTP, pool sizes
4/16/64) against lr's own map-style reading and LeRobot 0.6.1's StreamingLeRobotDataset, on the
same synthetic dataset, same run.

    uv run python tools/bench/streaming.py                 # 20 episodes x 200 frames, 480x640 AV1
    uv run python tools/bench/streaming.py --small         # 4 x 60 frames at 120x160 (a smoke run)
    uv run python tools/bench/streaming.py --no-peer --pools 16 --repeats 1   # our goals only

Every case runs in its own process: DataLoader, batch 8, ``--workers`` workers, the delta windows
of tools/bench/dataset_synth.py (camera and state at -0.1 s and now, 30 actions over 1 s).
Figures: time from opening the dataset to the first batch (libraries already imported) and
the CPU seconds the process and its workers spent until then (a figure other load on the
machine disturbs far less), samples/s over the next ``--batches`` batches and the CPU the
process and its workers spent per sample over them, peak memory of the process and its workers
together (PSS: pages shared by forked workers counted once, sampled every 0.25 s; the
sampler's own CPU is left out of the CPU figures), peak disk of the stream cache (remote reads
only). lr's map-style reading is ``LeRobotDataset`` +
``lr_dataset.DataLoader`` with shuffling; lr streams go through ``lr_dataset.DataLoader`` too;
LeRobot's stream through torch's DataLoader over the local folder (0.6.1 cannot read a plain
HTTP server). The HTTP server is ``python -m lr_dataset.streaming.loopback`` in its own process
on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from dataset_measure import measure_lr_write  # noqa: E402
from dataset_synth import FPS, add_size_arguments, delta_timestamps, size_argv  # noqa: E402
from harness import peer_python, run_child  # noqa: E402
from streaming_measure import measure_stream  # noqa: E402


# ---------------------------------------------------------------------------------- our side
def child_map(args: argparse.Namespace) -> dict:
    import torch

    from lr_dataset.torch_dataset import LeRobotDataset
    from lr_dataset.torch_loader import DataLoader

    _warm_imports()

    def make():
        ds = LeRobotDataset("bench/synthetic", root=args.root, delta_timestamps=delta_timestamps())
        return DataLoader(
            ds,
            batch_size=8,
            shuffle=True,
            num_workers=args.workers,
            generator=torch.Generator().manual_seed(0),
        )

    return measure_stream(make, args)


def child_stream(args: argparse.Namespace) -> dict:
    from lr_dataset.streaming.torch_dataset import StreamingLeRobotDataset
    from lr_dataset.torch_loader import DataLoader

    _warm_imports()

    def make():
        ds = StreamingLeRobotDataset(
            "bench/synthetic",
            root=args.root,
            delta_timestamps=delta_timestamps(),
            episode_pool_size=args.pool,
            seed=0,
            repeat=True,
        )
        return DataLoader(ds, batch_size=8, num_workers=args.workers)

    home = Path(os.environ["HF_LEROBOT_HOME"])
    return measure_stream(make, args, folder=home / "stream-cache" / "data")


def _warm_imports() -> None:
    """What the first read would import (not counted in the time to the first batch)."""
    import av  # noqa: F401
    import pyarrow.parquet  # noqa: F401

    import lr_dataset.streaming.episode  # noqa: F401


# ---------------------------------------------------------------------------------- driver
def ours(case: str, root: str, args: argparse.Namespace, home: Path, pool: int = 0) -> dict:
    shutil.rmtree(home, ignore_errors=True)
    env = {**os.environ, "HF_LEROBOT_HOME": str(home)}
    cmd = [sys.executable, __file__, "--child", case, root, "--pool", str(pool), *size_argv(args)]
    return run_child(cmd, env=env, timeout=1800)


def peer(root: str, args: argparse.Namespace, python: Path) -> dict:
    cmd = [str(python), str(HERE / "streaming_peer.py"), root]
    cmd += ["--batches", str(args.batches), "--workers", str(args.workers)]
    return run_child(cmd, timeout=1800)


def serve(folder: Path) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "lr_dataset.streaming.loopback", str(folder)],
        stdout=subprocess.PIPE,
        text=True,
    )
    line = proc.stdout.readline()
    if not line.startswith("serving "):
        proc.kill()
        raise RuntimeError(f"the loopback server did not start: {line!r}")
    return proc, line.split()[-1]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--child", nargs=2, metavar=("CASE", "ROOT"), help=argparse.SUPPRESS)
    p.add_argument("--pool", type=int, default=16, help=argparse.SUPPRESS)
    p.add_argument("--small", action="store_true", help="4 episodes x 60 frames at 120x160")
    add_size_arguments(p)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--pools", default="4,16,64", help="episode pool sizes, comma-separated")
    p.add_argument("--no-peer", action="store_true")
    p.add_argument("--no-http", action="store_true")
    p.add_argument("--root", type=Path, help="an existing benchmark dataset to reuse")
    p.add_argument("--keep", type=Path, help="write the dataset here and keep it")
    args = p.parse_args()
    if args.child:
        case, args.root = args.child
        result = {"write": measure_lr_write, "map": child_map, "stream": child_stream}[case](args)
        print("RESULT " + json.dumps(result), flush=True)
        return 0
    if args.small:
        args.episodes, args.frames, args.height, args.width = 4, 60, 120, 160
        args.repeats, args.batches = 1, 20
    pools = [int(x) for x in args.pools.split(",")]
    python = None if args.no_peer else peer_python()
    work = args.keep or Path(tempfile.mkdtemp(prefix="lr-bench-streaming-"))
    root = args.root or work / "www" / "ds"
    if args.root is None:
        shutil.rmtree(root, ignore_errors=True)
        root.parent.mkdir(parents=True, exist_ok=True)
        ours("write", str(root), args, work / "home")
    print(
        f"{args.episodes} episodes x {args.frames} frames, {args.height}x{args.width} AV1, "
        f"{FPS} fps, batch 8, {args.workers} workers; peer: {python or 'absent'}; "
        f"repeats {args.repeats}",
        flush=True,
    )
    server, base = (None, None) if args.no_http else serve(root.parent)
    url = f"{base}/{root.name}" if base else None
    cases: list[tuple[str, str, int]] = [("lr map-style, local", "map", 0)]
    cases += [(f"lr stream, local, pool {n}", "stream", n) for n in pools]
    if url:
        cases += [(f"lr stream, HTTP, pool {n}", "stream-http", n) for n in pools]
    if python:
        cases.append(("LeRobot 0.6.1 stream, local", "peer", 0))
    results: dict[str, list[dict]] = {name: [] for name, _, _ in cases}
    try:
        for r in range(args.repeats):
            for name, case, pool in cases:  # interleaved: load changes hit every case alike
                if case == "peer":
                    res = peer(str(root), args, python)
                elif case == "stream-http":
                    res = ours("stream", url, args, work / "home", pool)
                else:
                    res = ours(case, str(root), args, work / "home", pool)
                results[name].append(res)
                print(
                    f"  #{r} {name}: first batch {res['first_batch_s']:.2f} s, "
                    f"{res['samples_per_s']:.1f} samples/s ({res['cpu_ms_per_sample']:.2f} ms CPU "
                    f"each), PSS {res['peak_pss_total_mb']:.0f} MB",
                    flush=True,
                )
    finally:
        if server is not None:
            server.kill()
            server.wait()

    def med(name: str, key: str) -> float:
        return statistics.median(x[key] for x in results[name])

    local = med("lr map-style, local", "samples_per_s")
    lerobot = med("LeRobot 0.6.1 stream, local", "samples_per_s") if python else None
    print()
    print(
        "| case | first batch, s | CPU to first batch, s | samples/s | CPU per sample, ms | "
        "vs lr map-style | vs LeRobot stream | peak memory (PSS, all processes), MB | "
        "peak cache disk, MB |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for name, case, _ in cases:
        sps = med(name, "samples_per_s")
        vs_peer = f"{sps / lerobot:.2f}x" if lerobot else "-"
        disk = med(name, "peak_cache_disk_mb") if case == "stream-http" else None
        print(
            f"| {name} | {med(name, 'first_batch_s'):.2f} | {med(name, 'first_batch_cpu_s'):.2f} "
            f"| {sps:.1f} | {med(name, 'cpu_ms_per_sample'):.2f} | {sps / local:.2f}x | "
            f"{vs_peer} | {med(name, 'peak_pss_total_mb'):.0f} | "
            f"{f'{disk:.1f}' if disk is not None else '-'} |"
        )
    if not args.keep and not args.root:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
