"""Read a dataset with LeRobot and dump items to an .npz (run by the peer's interpreter).

usage: python lerobot_read.py ROOT OUT.npz [--indices 0,5,9] [--deltas JSON] [--episodes 0,2]
Each array is saved as ``<i>/<key>``; strings go to ``<i>/<key>`` as 0-d unicode arrays. Also
prints ``RESULT {json}`` with len, meta counters and the stats.json keys.
"""

import argparse
import json

import numpy as np


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("root")
    p.add_argument("out")
    p.add_argument("--indices", default="")
    p.add_argument("--deltas", default="")
    p.add_argument("--episodes", default="")
    args = p.parse_args()

    from lerobot.datasets.lerobot_dataset import LeRobotDataset

    kwargs = {}
    if args.deltas:
        kwargs["delta_timestamps"] = json.loads(args.deltas)
    if args.episodes:
        kwargs["episodes"] = [int(e) for e in args.episodes.split(",")]
    ds = LeRobotDataset("peer/check", root=args.root, video_backend="pyav", **kwargs)
    indices = [int(i) for i in args.indices.split(",")] if args.indices else range(len(ds))
    arrays = {}
    for i in indices:
        item = ds[i]
        for key, value in item.items():
            if isinstance(value, str):
                arrays[f"{i}/{key}"] = np.array(value)
            elif hasattr(value, "numpy"):
                arrays[f"{i}/{key}"] = value.numpy()
    np.savez_compressed(args.out, **arrays)
    meta = ds.meta
    print(
        "RESULT "
        + json.dumps(
            {
                "len": len(ds),
                "total_episodes": meta.total_episodes,
                "total_frames": meta.total_frames,
                "tasks": list(meta.tasks.index),
                "stats_keys": sorted(meta.stats) if meta.stats else [],
                "fps": meta.fps,
            }
        )
    )


if __name__ == "__main__":
    main()
