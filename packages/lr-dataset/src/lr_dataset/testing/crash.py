"""A recording process killed at an arbitrary moment, for crash-safety tests.

``python -m lr_dataset.testing.crash ROOT [--resume] [--episodes N]`` records 8-frame episodes
(small files, so they roll over) and prints ``ready`` once recording starts and ``saved <n>``
after each ``save_episode``; :func:`record_then_kill` runs it and SIGKILLs it after a delay.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

FRAMES = 8


def record_then_kill(root: Path, delay_s: float, resume: bool = False) -> int:
    """Run the recorder on ``root``; SIGKILL it ``delay_s`` after it printed ``ready`` (unless
    it finished first); return the number of episodes it reported saved."""
    args = [sys.executable, "-m", "lr_dataset.testing.crash", str(root)]
    args += ["--resume"] if resume else []
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    lines: list[str] = []
    ready = threading.Event()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if line.startswith("ready"):
                ready.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    ready.wait(timeout=120)
    try:
        proc.wait(timeout=delay_s)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    reader.join()
    saved = 0
    for line in lines:
        if line.startswith("saved "):
            saved = int(line.split()[1])
    return saved


def main(argv: list[str] | None = None) -> None:
    """Record until killed (see the module docstring)."""
    from lr_dataset.dataset import LeRobotDataset
    from lr_dataset.testing.synthetic import features, frame

    p = argparse.ArgumentParser(prog="python -m lr_dataset.testing.crash")
    p.add_argument("root")
    p.add_argument("--resume", action="store_true")
    p.add_argument("--episodes", type=int, default=10_000)
    args = p.parse_args(argv)
    root = Path(args.root)
    if args.resume and (root / "meta/info.json").exists():
        ds = LeRobotDataset.resume("t/crash", root=root)
    else:
        if root.exists():  # killed before it wrote info.json: start again
            shutil.rmtree(root)
        ds = LeRobotDataset.create(
            "t/crash",
            30,
            features(camera="video"),
            root=root,
            data_files_size_in_mb=0.02,
            video_files_size_in_mb=0.03,
        )
    start = ds.meta.total_episodes
    print("ready", flush=True)
    for ep in range(start, start + args.episodes):
        for i in range(FRAMES):
            ds.add_frame(frame(ep, i))
        ds.save_episode()
        print(f"saved {ep + 1}", flush=True)
    ds.finalize()


if __name__ == "__main__":
    main()
