"""Dataset benchmark: lr-dataset vs LeRobot 0.6.1 on the same synthetic data, same run.

    uv run python tools/bench/dataset.py            # 20 episodes x 200 frames, 480x640 camera
    uv run python tools/bench/dataset.py --small    # 4 episodes x 60 frames (a quick look)

Measures (each case in its own process; medians over --repeats):
- writing: create + add_frame + save_episode (encoding included) + finalize -> frames/s, and
  the time each save_episode blocks the recording loop;
- training reads: DataLoader, batch 8, shuffle, 2 workers, delta windows {camera: [-0.1,
  0], state: [-0.1, 0], action: 30 steps over 1 s} -> samples/s (after the first batch), peak
  RSS of the main process and of the largest worker; on the LeRobot-written files for both
  libraries, and on the lr-written files for both. LeRobot runs in torch's DataLoader; lr in
  lr_dataset.DataLoader (torch's DataLoader with uint8 frame transport, same float32 batches)
  and, as a second row, in torch's DataLoader unchanged;
- CPU time per item in one process (no DataLoader, same windows): a figure that other load on
  the machine disturbs much less than wall-clock throughput;
- metadata load of a synthetic 10,000-episode dataset (meta/ only).
LeRobot runs in its own venv (tools/peer/locate.py) through tools/bench/dataset_peer.py.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from dataset_measure import measure_cpu, measure_lr_write, measure_meta, measure_read  # noqa: E402
from dataset_synth import FPS, add_size_arguments, features, frame_bank, size_argv  # noqa: E402
from harness import peer_python, run_child  # noqa: E402


# ---------------------------------------------------------------------------------- our side
def child_read(args: argparse.Namespace) -> dict:
    from lr_dataset.torch_dataset import LeRobotDataset
    from lr_dataset.torch_loader import DataLoader

    return measure_read(LeRobotDataset, args, DataLoader)


def child_read_torch(args: argparse.Namespace) -> dict:
    from lr_dataset.torch_dataset import LeRobotDataset

    return measure_read(LeRobotDataset, args)


def child_cpu(args: argparse.Namespace) -> dict:
    from lr_dataset.torch_dataset import LeRobotDataset

    return measure_cpu(LeRobotDataset, args)


def child_meta(args: argparse.Namespace) -> dict:
    from lr_dataset.metadata import LeRobotDatasetMetadata

    return measure_meta(LeRobotDatasetMetadata, args)


def make_meta_dataset(root: Path, episodes: int = 10_000, length: int = 200) -> None:
    """A dataset whose meta/ describes ``episodes`` episodes (no data or video files)."""
    import numpy as np

    from lr_dataset import episodes as episodes_io
    from lr_dataset import stats as stats_io
    from lr_dataset import tasks as tasks_io
    from lr_dataset.metadata import LeRobotDatasetMetadata

    meta = LeRobotDatasetMetadata.create(
        "bench/meta", FPS, features(480, 640), root=root, robot_type="so_follower"
    )
    rng = np.random.default_rng(0)
    one = {
        k: stats_io.vector_stats(rng.normal(size=(length, 6)).astype(np.float32))
        for k in ("observation.state", "action")
    }
    img = stats_io.ImageStats()
    for b in frame_bank(48, 64, 4):
        img.update(b)
    one["observation.images.front"] = img.result()
    for k in ("timestamp", "frame_index", "episode_index", "index", "task_index"):
        one[k] = stats_io.vector_stats(np.arange(length, dtype=np.float32))
    stat_cols = episodes_io.stats_columns(one)
    key = "observation.images.front"
    rows = []
    for e in range(episodes):
        rows.append(
            {
                "episode_index": e,
                "tasks": [f"task {e % 10}"],
                "length": length,
                "data/chunk_index": 0,
                "data/file_index": e // 500,
                "dataset_from_index": e * length,
                "dataset_to_index": (e + 1) * length,
                f"videos/{key}/chunk_index": 0,
                f"videos/{key}/file_index": e // 200,
                f"videos/{key}/from_timestamp": (e % 200) * length / FPS,
                f"videos/{key}/to_timestamp": (e % 200 + 1) * length / FPS,
                **stat_cols,
                "meta/episodes/chunk_index": 0,
                "meta/episodes/file_index": 0,
            }
        )
    episodes_io.write_file(rows, root / "meta/episodes/chunk-000/file-000.parquet")
    tasks_io.save(tasks_io.TaskTable(f"task {i}" for i in range(10)), root)
    stats_io.save(stats_io.aggregate([one]), root)
    meta.info.total_episodes = episodes
    meta.info.total_frames = episodes * length
    meta.info.total_tasks = 10
    meta.info.splits = {"train": f"0:{episodes}"}
    meta.info.features[key] = meta.info.features[key].model_copy(
        update={
            "info": {
                "video.height": 480,
                "video.width": 640,
                "video.codec": "av1",
                "video.pix_fmt": "yuv420p",
                "video.fps": FPS,
                "video.channels": 3,
                "has_audio": False,
                "is_depth_map": False,
            }
        }
    )
    meta.info.save(root)


# ---------------------------------------------------------------------------------- driver
def ours(case: str, root: Path, args: argparse.Namespace) -> dict:
    cmd = [sys.executable, __file__, "--child", case, str(root), *size_argv(args)]
    return run_child(cmd, timeout=900)


def peer(case: str, root: Path, args: argparse.Namespace, python: Path) -> dict:
    cmd = [str(python), str(HERE / "dataset_peer.py"), case, str(root), *size_argv(args)]
    return run_child(cmd, timeout=900)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--child", nargs=2, metavar=("CASE", "ROOT"), help=argparse.SUPPRESS)
    p.add_argument("--small", action="store_true", help="4 episodes x 60 frames, 1 repeat")
    add_size_arguments(p)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--no-peer", action="store_true")
    p.add_argument("--keep", type=Path, help="write the datasets here and keep them")
    args = p.parse_args()
    if args.child:
        case, root = args.child
        args.root = root
        cases = {
            "write": measure_lr_write,
            "read": child_read,
            "read-torch": child_read_torch,
            "cpu": child_cpu,
            "meta": child_meta,
        }
        result = cases[case](args)
        print("RESULT " + json.dumps(result), flush=True)
        return 0
    if args.small:
        args.episodes, args.frames, args.repeats, args.batches = 4, 60, 1, 25

    python = None if args.no_peer else peer_python()
    work = args.keep or Path(tempfile.mkdtemp(prefix="lr-bench-dataset-"))
    work.mkdir(parents=True, exist_ok=True)
    rows: list[tuple[str, float, float | None, str]] = []
    print(
        f"{args.episodes} episodes x {args.frames} frames, {args.height}x{args.width}, "
        f"{FPS} fps; peer: {python or 'absent'}; repeats {args.repeats}",
        flush=True,
    )

    def median(xs: list[float]) -> float:
        return statistics.median(xs)

    # writing
    w_ours, w_peer = [], []
    for r in range(args.repeats):
        for who, out in (("lr", w_ours), ("lerobot", w_peer)):
            if who == "lerobot" and python is None:
                continue
            root = work / f"{who}-written"
            shutil.rmtree(root, ignore_errors=True)
            res = ours("write", root, args) if who == "lr" else peer("write", root, args, python)
            out.append(res)
            print(
                f"  write {who} #{r}: {res['frames'] / res['write_s']:.1f} frames/s, save "
                f"median {median(res['save_s']):.3f} s",
                flush=True,
            )

    def fps_of(rs: list[dict]) -> float:
        return median([x["frames"] / x["write_s"] for x in rs])

    def save_of(rs: list[dict]) -> float:
        return median([median(x["save_s"]) for x in rs])

    rows.append(
        (
            "writing, frames/s (higher is better)",
            fps_of(w_ours),
            fps_of(w_peer) if w_peer else None,
            "up",
        )
    )
    rows.append(
        (
            "save_episode blocking, median s (lower)",
            save_of(w_ours),
            save_of(w_peer) if w_peer else None,
            "down",
        )
    )
    rows.append(
        (
            "writer peak RSS, MiB (lower)",
            median([x["peak_rss_mb"] for x in w_ours]),
            median([x["peak_rss_mb"] for x in w_peer]) if w_peer else None,
            "down",
        )
    )

    # reading
    sources = ["lerobot-written", "lr-written"] if python else ["lr-written"]
    for source in sources:
        root = work / source
        r_ours, r_torch, r_peer = [], [], []
        for r in range(args.repeats):
            # interleaved, so that a change in machine load hits every side alike
            r_ours.append(ours("read", root, args))
            r_torch.append(ours("read-torch", root, args))
            if python:
                r_peer.append(peer("read", root, args, python))
            print(
                f"  read {source} #{r}: lr {r_ours[-1]['samples_per_s']:.1f} (lr_dataset."
                f"DataLoader), {r_torch[-1]['samples_per_s']:.1f} (torch DataLoader)"
                + (
                    f", lerobot {r_peer[-1]['samples_per_s']:.1f} (decoder "
                    f"{r_peer[-1]['video_backend']})"
                    if python
                    else ""
                )
                + " samples/s",
                flush=True,
            )
        peer_read = median([x["samples_per_s"] for x in r_peer]) if r_peer else None
        rows.append(
            (
                f"DataLoader samples/s on {source} files, lr_dataset.DataLoader (higher)",
                median([x["samples_per_s"] for x in r_ours]),
                peer_read,
                "up",
            )
        )
        rows.append(
            (
                f"  same, lr dataset in a plain torch DataLoader (higher) [{source}]",
                median([x["samples_per_s"] for x in r_torch]),
                peer_read,
                "up",
            )
        )
        mem = [x["peak_rss_main_mb"] + x["peak_rss_worker_mb"] for x in r_ours]
        mem_p = [x["peak_rss_main_mb"] + x["peak_rss_worker_mb"] for x in r_peer]
        rows.append(
            (
                f"  peak RSS main + largest worker, MiB (lower) [{source}]",
                median(mem),
                median(mem_p) if mem_p else None,
                "down",
            )
        )
        c_ours = [ours("cpu", root, args) for _ in range(args.repeats)]
        c_peer = [peer("cpu", root, args, python) for _ in range(args.repeats)] if python else []
        rows.append(
            (
                f"  CPU ms per item, one process, no DataLoader (lower) [{source}]",
                median([x["cpu_ms_per_item"] for x in c_ours]),
                median([x["cpu_ms_per_item"] for x in c_peer]) if c_peer else None,
                "down",
            )
        )
        rows.append(
            (
                f"  first batch, s (lower) [{source}]",
                median([x["first_batch_s"] for x in r_ours]),
                median([x["first_batch_s"] for x in r_peer]) if r_peer else None,
                "down",
            )
        )

    # metadata
    meta_root = work / "meta-10k"
    shutil.rmtree(meta_root, ignore_errors=True)
    make_meta_dataset(meta_root)
    m_ours = ours("meta", meta_root, args)["times_s"]
    m_peer = peer("meta", meta_root, args, python)["times_s"] if python else None
    rows.append(
        (
            "metadata load, 10,000 episodes, median s (lower)",
            median(m_ours),
            median(m_peer) if m_peer else None,
            "down",
        )
    )

    print()
    print("| figure | lr | LeRobot 0.6.1 | lr vs LeRobot |")
    print("|---|---|---|---|")
    for name, a, b, better in rows:
        if b is None:
            print(f"| {name} | {a:.3g} | - | - |")
            continue
        ratio = a / b if better == "up" else b / a
        print(f"| {name} | {a:.3g} | {b:.3g} | {ratio:.2f}x |")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
