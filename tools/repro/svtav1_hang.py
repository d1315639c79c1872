"""Reproduce the SVT-AV1 hang (docs/dataset.md, "When the AV1 encoder hangs").

Records like ``lr sim record``: one or two 64x64 video cameras fed with the frames of an existing
lr dataset (``--frames-from``, e.g. a quickstart recording with ``observation.images.front`` and
``.wrist``), many episodes, through lr's own writer; a faulthandler watchdog prints every
thread's stack and exits with status 1 when an episode takes longer than ``--timeout`` s. Prints
one JSON line (CPU seconds, frames per CPU second) when it finishes. Run it in a loop, e.g.::

    for i in 1 2 3 4 5; do uv run python tools/repro/svtav1_hang.py /tmp/ds \
        --frames-from DATASET --cams 1 --episodes 200 --len 110 || echo HANG; done

Found with ``--in-process`` (the encoders on threads of the recorder, lr's design before): one
run in five (one camera, 200 episodes) or in ten (two cameras, 100 episodes) hangs in the
flush at the end of an episode on a loaded 2-core machine. By default lr encodes libsvtav1 in
child processes: a hang is then logged (``... no answer after 10 s; the encoder process was
killed``) and the episode encoded again from its raw frames, and the run goes on. CPU seconds
count this process only (``time.process_time``), not the encoder processes.
"""

from __future__ import annotations

import argparse
import faulthandler
import json
import logging
import os
import shutil
import time
from pathlib import Path

import numpy as np


def load_frames(src: Path) -> dict[str, np.ndarray]:
    """Every frame of ``src``'s front and wrist camera MP4s (64x64)."""
    import av

    out = {}
    for cam in ("front", "wrist"):
        path = next((src / f"videos/observation.images.{cam}").rglob("*.mp4"))
        with av.open(str(path)) as c:
            out[cam] = np.stack([f.to_ndarray(format="rgb24") for f in c.decode(video=0)])
    return out


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("root")
    p.add_argument("--frames-from", type=Path, required=True)
    p.add_argument("--episodes", type=int, default=100)
    p.add_argument("--len", type=int, default=110)
    p.add_argument("--timeout", type=float, default=120)
    p.add_argument("--background", action="store_true")
    p.add_argument("--step-ms", type=float, default=0.0)
    p.add_argument("--vcodec", default="libsvtav1")
    p.add_argument("--cams", type=int, default=2)
    p.add_argument("--threads", type=int, default=None)
    p.add_argument(
        "--in-process",
        action="store_true",
        help="encode on threads of this process (the design before: a hang stops the run); "
        "default: lr's child encoder processes, where a hang is logged and recovered from",
    )
    args = p.parse_args()
    frames = load_frames(args.frames_from)
    n = min(len(v) for v in frames.values())
    from lr_dataset.dataset import LeRobotDataset

    feats = {
        "observation.state": {"dtype": "float32", "shape": (6,), "names": None},
        "action": {"dtype": "float32", "shape": (6,), "names": None},
        "observation.images.front": {
            "dtype": "video",
            "shape": (64, 64, 3),
            "names": ["height", "width", "channels"],
        },
        "observation.images.wrist": {
            "dtype": "video",
            "shape": (64, 64, 3),
            "names": ["height", "width", "channels"],
        },
    }
    if args.cams == 1:
        del feats["observation.images.wrist"]
    root = Path(args.root)
    shutil.rmtree(root, ignore_errors=True)
    ds = LeRobotDataset.create(
        "t/x", 30, feats, root=root, vcodec=args.vcodec, encoder_threads=args.threads
    )
    if args.in_process:
        ds.writer.encoder_process = False
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s: %(message)s")
    faulthandler.dump_traceback_later(args.timeout, exit=True)
    c0, t0 = time.process_time(), time.perf_counter()
    k = 0
    for _episode in range(args.episodes):
        if args.background:
            ds.prepare_episode(wait=False)
        for _ in range(args.len):
            fr = {
                "observation.state": np.zeros(6, np.float32),
                "action": np.zeros(6, np.float32),
                "observation.images.front": frames["front"][k % n],
                "observation.images.wrist": frames["wrist"][k % n],
                "task": "pick",
            }
            if args.cams == 1:
                del fr["observation.images.wrist"]
            ds.add_frame(fr)
            k += 1
            if args.step_ms:
                end = time.perf_counter() + args.step_ms / 1000
                while time.perf_counter() < end:
                    pass
        ds.save_episode(background=args.background)
        faulthandler.cancel_dump_traceback_later()
        faulthandler.dump_traceback_later(args.timeout, exit=True)
    ds.finalize()
    cpu, wall = time.process_time() - c0, time.perf_counter() - t0
    print(
        json.dumps(
            {
                "episodes": args.episodes,
                "frames": k,
                "cpu": cpu,
                "wall": wall,
                "frames_per_cpu_s": args.cams * k / cpu,
            }
        ),
        flush=True,
    )
    os._exit(0)


if __name__ == "__main__":
    main()
