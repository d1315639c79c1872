"""Video encoding in a child process vs on a thread: what recovering from encoder hangs costs.

Records ``--episodes`` episodes of ``--frames`` frames through lr's ``DatasetWriter`` at
``--fps`` (the loop sleeps to each tick, as a recorder does; each episode saved in the
background, as ``lr record`` does), with synthetic moving frames, for each codec x encoder
mode (``thread``: ``EpisodeEncoder`` in this process, the design before; ``process``:
``ProcessEpisodeEncoder``, a child process per camera with a raw spool) x cameras (1, 2) x size
(64x64, 480x640). Each configuration runs in its own Python process. Reported per
configuration: median and p99 of the time ``add_frame`` takes in the loop (ms, the foreground
cost), the worst one, and encoding throughput as frames (all cameras) per CPU second of the
whole recorder (this process and its encoder processes; the idle loop's share is small).

    nice -n 10 uv run python tools/bench/encode_process.py --episodes 2 --frames 45   # smoke
    uv run python tools/bench/encode_process.py --episodes 5 --frames 300             # full
"""

from __future__ import annotations

import argparse
import itertools
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _cpu_s() -> float:
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        total += usage.ru_utime + usage.ru_stime
    return total


def run_one(codec: str, mode: str, cams: int, h: int, w: int, episodes: int, frames: int,
            fps: int) -> dict[str, float]:  # fmt: skip
    import numpy as np

    from lr_dataset.dataset import LeRobotDataset
    from lr_dataset.video import encoder_process
    from lr_dataset.video.encode import VideoEncoderConfig

    keys = [f"observation.images.cam{k}" for k in range(cams)]
    feats = {"observation.state": {"dtype": "float32", "shape": (6,), "names": None}}
    for key in keys:
        feats[key] = {"dtype": "video", "shape": (h, w, 3), "names": ["height", "width", "c"]}
    rng = np.random.default_rng(0)
    base = rng.integers(0, 255, (h, w, 3), dtype=np.uint8)
    with tempfile.TemporaryDirectory() as tmp:
        cpu0 = _cpu_s()
        ds = LeRobotDataset.create(
            "bench/enc", fps, feats, root=Path(tmp) / "ds",
            video_encoder=VideoEncoderConfig(vcodec=codec),
        )  # fmt: skip
        ds.writer.encoder_process = mode == "process"
        adds: list[float] = []
        period = 1.0 / fps
        for ep in range(episodes):
            ds.writer.prepare_episode()
            next_tick = time.perf_counter()
            for i in range(frames):
                frame = {"observation.state": np.zeros(6, np.float32), "task": "t"}
                for k, key in enumerate(keys):
                    frame[key] = np.roll(base, 2 * i + 7 * k + ep, axis=1)
                t0 = time.perf_counter()
                ds.add_frame(frame)
                adds.append(time.perf_counter() - t0)
                next_tick += period
                time.sleep(max(0.0, next_tick - time.perf_counter()))
            ds.save_episode(background=True)
        ds.finalize()
        encoder_process.close_idle_processes()  # reaped: their CPU time counts
        cpu = _cpu_s() - cpu0
    adds.sort()
    return {
        "add_ms_median": 1e3 * statistics.median(adds),
        "add_ms_p99": 1e3 * adds[int(0.99 * (len(adds) - 1))],
        "add_ms_max": 1e3 * adds[-1],
        "frames_per_cpu_s": episodes * frames * cams / cpu,
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--episodes", type=int, default=5)
    p.add_argument("--frames", type=int, default=300)
    p.add_argument("--fps", type=int, default=30)
    p.add_argument("--codecs", default="libsvtav1,h264")
    p.add_argument("--sizes", default="64x64,480x640")
    p.add_argument("--cams", default="1,2")
    p.add_argument("--one", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.one:
        codec, mode, cams, h, w = args.one.split(",")
        result = run_one(codec, mode, int(cams), int(h), int(w), args.episodes, args.frames,
                         args.fps)  # fmt: skip
        print("RESULT " + json.dumps(result), flush=True)
        return
    print(f"{'codec':10} {'cams':>4} {'size':>8} {'mode':8} {'add ms med':>10} {'p99':>7} "
          f"{'max':>7} {'frames/CPU s':>12}")  # fmt: skip
    for codec, size, cams, mode in itertools.product(
        args.codecs.split(","), args.sizes.split(","), args.cams.split(","), ("thread", "process")
    ):
        h, w = size.split("x")
        cmd = [sys.executable, __file__, "--one", f"{codec},{mode},{cams},{h},{w}",
               "--episodes", str(args.episodes), "--frames", str(args.frames),
               "--fps", str(args.fps)]  # fmt: skip
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
        r = json.loads(next(line for line in out.splitlines() if line.startswith("RESULT "))[7:])
        print(f"{codec:10} {cams:>4} {size:>8} {mode:8} {r['add_ms_median']:10.3f} "
              f"{r['add_ms_p99']:7.2f} {r['add_ms_max']:7.1f} {r['frames_per_cpu_s']:12.0f}",
              flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
