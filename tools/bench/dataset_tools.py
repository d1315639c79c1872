"""Dataset editing tools: lr vs LeRobot 0.6.1 on the same dataset, same run.

    uv run python tools/bench/dataset_tools.py              # 20 episodes x 100 frames, 240x320
    uv run python tools/bench/dataset_tools.py --small      # 6 episodes x 30 frames, 96x128

Builds one dataset with lr (AV1 defaults, every episode in one shared MP4), then times, median
of --repeats, each library's
- delete of the middle episode (the shared MP4 must be rebuilt),
- split 80/20 by fractions,
- merge of the two splits (val first, so indices and tasks are re-numbered),
and checks how faithful the rebuilt videos are: the mean absolute pixel difference between the
frames of the kept episodes and the source's (0 means bit-identical). LeRobot runs in its own
venv through tools/bench/dataset_tools_peer.py; both libraries' outputs are read with lr.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from harness import peer_python, run_child  # noqa: E402

CAM = "observation.images.front"


def build(root: Path, episodes: int, frames: int, h: int, w: int) -> None:
    from lr_dataset.dataset import LeRobotDataset

    names = [f"j{i}" for i in range(6)]
    features = {
        "observation.state": {"dtype": "float32", "shape": (6,), "names": names},
        "action": {"dtype": "float32", "shape": (6,), "names": names},
        CAM: {"dtype": "video", "shape": (h, w, 3), "names": ["height", "width", "channels"]},
    }
    ds = LeRobotDataset.create("bench/tools", 30, features, root=root, robot_type="so_follower")
    yy, xx = np.mgrid[0:h, 0:w]
    for ep in range(episodes):
        for i in range(frames):
            img = np.empty((h, w, 3), np.uint8)
            img[..., 0] = (xx + 3 * i) % 256
            img[..., 1] = (yy + 5 * ep) % 256
            img[..., 2] = (xx + yy + i) % 256
            state = np.sin(np.arange(6, dtype=np.float32) + i / 30 + ep).astype(np.float32)
            ds.add_frame(
                {
                    "observation.state": state,
                    "action": state * 0.5,
                    CAM: img,
                    "task": f"task {ep % 3}",
                }
            )
        ds.save_episode()
    ds.finalize()


def ours(src: Path, work: Path, repeats: int) -> dict:
    from lr_dataset.tools import delete_episodes, merge_datasets, split_dataset
    from lr_dataset.tools.source import open_meta

    mid = open_meta(src).total_episodes // 2
    times: dict[str, list[float]] = {"delete": [], "split": [], "merge": []}
    for r in range(repeats):
        run = work / f"run{r}"
        t = time.perf_counter()
        delete_episodes(src, [mid], run / "delete")
        times["delete"].append(time.perf_counter() - t)
        t = time.perf_counter()
        split_dataset(src, {"train": 0.8, "val": 0.2}, run / "split")
        times["split"].append(time.perf_counter() - t)
        t = time.perf_counter()
        merge_datasets([run / "split/val", run / "split/train"], run / "merge")
        times["merge"].append(time.perf_counter() - t)
    out: dict = {k: statistics.median(v) for k, v in times.items()}
    out["last_run"] = str(work / f"run{repeats - 1}")
    return out


def fidelity(src: Path, deleted: Path) -> float:
    """Mean |pixel difference| between the source's kept episodes and the delete output's."""
    from lr_dataset.dataset import LeRobotDataset

    a = LeRobotDataset("a", root=src, return_uint8=True)
    b = LeRobotDataset("b", root=deleted, return_uint8=True)
    mid = a.meta.total_episodes // 2
    kept = [e for e in range(a.meta.total_episodes) if e != mid]
    diffs = []
    for new, old in enumerate(kept):
        fa, fb = a.meta.episode(old), b.meta.episode(new)
        for k in range(0, int(fa["length"]), 7):
            x = a[int(fa["dataset_from_index"]) + k][CAM].astype(np.int16)
            y = b[int(fb["dataset_from_index"]) + k][CAM].astype(np.int16)
            diffs.append(float(np.abs(x - y).mean()))
    return float(np.mean(diffs))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--small", action="store_true")
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args()
    episodes, frames, h, w = (6, 30, 96, 128) if args.small else (20, 100, 240, 320)
    work = Path(tempfile.mkdtemp(prefix="lr-bench-tools-"))
    try:
        src = work / "src"
        t = time.perf_counter()
        build(src, episodes, frames, h, w)
        print(f"built {episodes} x {frames} frames ({h}x{w}) in {time.perf_counter() - t:.1f} s")
        import torch  # noqa: F401  (import cost outside the timings, as in the peer)

        mine = ours(src, work / "ours", args.repeats)
        peer = None
        python = peer_python()
        if python is not None:
            cmd = [python, HERE / "dataset_tools_peer.py", src, work / "peer", args.repeats]
            try:
                peer = run_child([str(x) for x in cmd])
            except RuntimeError as exc:
                print("peer", exc)
        print(f"\n{'operation':<28}{'lr s':>9}{'LeRobot s':>11}{'ratio':>8}")
        for op in ("delete", "split", "merge"):
            theirs = peer[op] if peer else float("nan")
            print(
                f"{op + ' (median)':<28}{mine[op]:>9.2f}{theirs:>11.2f}{theirs / mine[op]:>7.1f}x"
            )
        ours_diff = fidelity(src, Path(mine["last_run"]) / "delete")
        peer_diff = fidelity(src, Path(peer["last_run"]) / "delete") if peer else float("nan")
        print(f"{'delete: mean |pixel diff|':<28}{ours_diff:>9.3f}{peer_diff:>11.3f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
