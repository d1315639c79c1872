"""Record episodes until killed; print ``saved <n>`` after each save_episode (crash tests).

usage: python crash_writer.py ROOT [--resume] [--episodes N] [--start-episode K]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from dataset_helpers import features, frame

from lr_dataset.dataset import LeRobotDataset

FRAMES = 8


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("root")
    p.add_argument("--resume", action="store_true")
    p.add_argument("--episodes", type=int, default=10_000)
    args = p.parse_args()
    if args.resume and (Path(args.root) / "meta/info.json").exists():
        ds = LeRobotDataset.resume("t/crash", root=args.root)
    else:
        if Path(args.root).exists():  # killed before it wrote info.json: start again
            import shutil

            shutil.rmtree(args.root)
        ds = LeRobotDataset.create(
            "t/crash",
            30,
            features(camera="video"),
            root=args.root,
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
