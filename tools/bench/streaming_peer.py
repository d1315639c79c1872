"""LeRobot side of tools/bench/streaming.py (run by the peer's interpreter, never imported).

usage: python streaming_peer.py ROOT --batches N --workers W
Prints one ``RESULT {json}`` line: LeRobot 0.6.1's StreamingLeRobotDataset over the local
folder ROOT (it cannot stream from a plain HTTP server), with the benchmark's delta windows.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from dataset_synth import delta_timestamps
from streaming_measure import measure_stream


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("root")
    p.add_argument("--batches", type=int, default=50)
    p.add_argument("--workers", type=int, default=2)
    args = p.parse_args()

    import torch
    from lerobot.datasets.streaming_dataset import StreamingLeRobotDataset

    def make():
        ds = StreamingLeRobotDataset(
            "bench/synthetic", root=args.root, delta_timestamps=delta_timestamps(), seed=0
        )
        return torch.utils.data.DataLoader(ds, batch_size=8, num_workers=args.workers)

    print("RESULT " + json.dumps(measure_stream(make, args)), flush=True)


if __name__ == "__main__":
    main()
