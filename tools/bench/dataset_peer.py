"""LeRobot side of tools/bench/dataset.py (run by the peer's interpreter, never imported).

usage: python dataset_peer.py write ROOT --episodes N --frames N --height H --width W
       python dataset_peer.py read ROOT --batches N [--workers 2]
       python dataset_peer.py meta ROOT
Prints one ``RESULT {json}`` line.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from dataset_measure import measure_cpu, measure_meta, measure_read, measure_write
from dataset_synth import FPS, add_size_arguments, features


def write(args: argparse.Namespace) -> dict:
    from lerobot.datasets.lerobot_dataset import LeRobotDataset

    def create() -> LeRobotDataset:
        return LeRobotDataset.create(
            "bench/synthetic",
            fps=FPS,
            features=features(args.height, args.width),
            root=args.root,
            robot_type="so_follower",
            use_videos=True,
        )

    return measure_write(create, args)


def read(args: argparse.Namespace) -> dict:
    from lerobot.datasets.lerobot_dataset import LeRobotDataset

    return measure_read(LeRobotDataset, args)


def cpu(args: argparse.Namespace) -> dict:
    from lerobot.datasets.lerobot_dataset import LeRobotDataset

    return measure_cpu(LeRobotDataset, args)


def meta(args: argparse.Namespace) -> dict:
    from lerobot.datasets.dataset_metadata import LeRobotDatasetMetadata

    return measure_meta(LeRobotDatasetMetadata, args)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("case", choices=["write", "read", "cpu", "meta"])
    p.add_argument("root")
    add_size_arguments(p)
    args = p.parse_args()
    result = {"write": write, "read": read, "cpu": cpu, "meta": meta}[args.case](args)
    print("RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
