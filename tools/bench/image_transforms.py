"""Image augmentation while loading: lr vs LeRobot 0.6.1, same data, same run.

    uv run python tools/bench/image_transforms.py            # 8 episodes x 100 frames, 480x640
    uv run python tools/bench/image_transforms.py --small    # 4 episodes x 60 frames, 96x128

A video dataset written by lr is read through a DataLoader (batch 8, shuffle, 2 workers, the
windows of tools/bench/dataset.py) with LeRobot's default augmentation (ImageTransformsConfig
enable=True: 3 of brightness, contrast, saturation, hue, sharpness, affine per frame):

- lr: lr_dataset.DataLoader; the transforms run in the workers on uint8 frames, which still
  cross to the training process as uint8 (ADR 0007); also lr without transforms, for the cost;
- LeRobot 0.6.1: its LeRobotDataset(image_transforms=ImageTransforms(...)) in torch's
  DataLoader, in its own venv (tools/peer/locate.py).

Prints samples/s (median over --repeats, each case in its own process) and the ratios.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from dataset_synth import delta_timestamps  # noqa: E402
from harness import peer_python, run_child  # noqa: E402


def read(case: str, root: str, batches: int, workers: int) -> dict:
    """One read case (run in its own process); ``case``: lr, lr-plain or lerobot."""
    import torch

    torch.set_num_threads(2)
    if case == "lerobot":
        from lerobot.datasets.lerobot_dataset import LeRobotDataset
        from lerobot.transforms.transforms import ImageTransforms, ImageTransformsConfig

        loader_class = torch.utils.data.DataLoader
    else:
        from lr_dataset.torch_dataset import LeRobotDataset
        from lr_dataset.torch_loader import DataLoader as loader_class
        from lr_dataset.transforms import ImageTransforms, ImageTransformsConfig
    transforms = None if case == "lr-plain" else ImageTransforms(ImageTransformsConfig(enable=True))
    ds = LeRobotDataset(
        "bench/synthetic",
        root=root,
        delta_timestamps=delta_timestamps(),
        image_transforms=transforms,
    )
    loader = loader_class(
        ds,
        batch_size=8,
        shuffle=True,
        num_workers=workers,
        generator=torch.Generator().manual_seed(0),
    )
    it = iter(loader)
    next(it)
    start, n = time.perf_counter(), 0
    for _ in range(batches):
        n += len(next(it)["index"])
    out = {"samples_per_s": n / (time.perf_counter() - start)}
    out["uint8_transport"] = bool(getattr(loader, "ships_uint8_frames", False))
    return out


def write(root: str, episodes: int, frames: int, height: int, width: int) -> None:
    from dataset_synth import FPS, features, frame_bank

    from lr_dataset.dataset import LeRobotDataset

    ds = LeRobotDataset.create("bench/synthetic", FPS, features(height, width), root=root)
    bank = frame_bank(height, width)
    import numpy as np

    for e in range(episodes):
        for i in range(frames):
            ds.add_frame(
                {
                    "observation.state": np.full(6, i, np.float32),
                    "action": np.full(6, e, np.float32),
                    "observation.images.front": bank[(e * frames + i) % len(bank)],
                    "task": "bench",
                }
            )
        ds.save_episode()
    ds.finalize()


def run(python: str, *args: str) -> dict:
    """This script's ``--child`` case in ``python``, in its own process."""
    return run_child([python, __file__, *args])


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--child", nargs=2, metavar=("CASE", "ROOT"), help=argparse.SUPPRESS)
    p.add_argument("--small", action="store_true")
    p.add_argument("--episodes", type=int, default=8)
    p.add_argument("--frames", type=int, default=100)
    p.add_argument("--height", type=int, default=480)
    p.add_argument("--width", type=int, default=640)
    p.add_argument("--batches", type=int, default=40, help="at most one epoch minus a batch")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args()
    if args.small:
        args.episodes, args.frames, args.height, args.width = 4, 60, 96, 128
        args.batches, args.repeats = 10, 1
    if args.child:
        case, root = args.child
        if case == "write":
            write(root, args.episodes, args.frames, args.height, args.width)
            result: dict = {}
        else:
            result = read(case, root, args.batches, args.workers)
        print("RESULT " + json.dumps(result), flush=True)
        return 0

    peer = peer_python()
    root = str(Path(tempfile.mkdtemp(prefix="lr-bench-tf-")) / "ds")
    common = [
        f"--episodes={args.episodes}",
        f"--frames={args.frames}",
        f"--height={args.height}",
        f"--width={args.width}",
        f"--batches={args.batches}",
        f"--workers={args.workers}",
    ]
    run(sys.executable, "--child", "write", root, *common)
    print(
        f"{args.episodes} episodes x {args.frames} frames, {args.height}x{args.width}, batch 8, "
        f"{args.workers} workers, {args.batches} batches; peer: {peer or 'absent'}",
        flush=True,
    )
    cases = [("lr", sys.executable), ("lr-plain", sys.executable)]
    if peer:
        cases.append(("lerobot", str(peer)))
    figures: dict[str, list[float]] = {name: [] for name, _ in cases}
    for _ in range(args.repeats):
        for name, python in cases:
            res = run(python, "--child", name, root, *common)
            figures[name].append(res["samples_per_s"])
            print(f"  {name}: {res['samples_per_s']:.1f} samples/s {res}", flush=True)
    med = {k: statistics.median(v) for k, v in figures.items() if v}
    print(f"lr with augmentation:    {med['lr']:.1f} samples/s")
    print(
        f"lr without augmentation: {med['lr-plain']:.1f} samples/s "
        f"(augmentation keeps {med['lr'] / med['lr-plain']:.0%})"
    )
    if "lerobot" in med:
        print(
            f"LeRobot 0.6.1 with augmentation: {med['lerobot']:.1f} samples/s "
            f"(lr / LeRobot = {med['lr'] / med['lerobot']:.2f}x)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
