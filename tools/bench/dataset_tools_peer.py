"""LeRobot side of tools/bench/dataset_tools.py (run by the peer's interpreter).

usage: python dataset_tools_peer.py SRC WORKDIR REPEATS
Times LeRobot's delete_episodes / split_dataset / merge_datasets on SRC and prints
``RESULT {json}`` with the median seconds of each and the output folders of the last run.
"""

import json
import shutil
import statistics
import sys
import time
from pathlib import Path


def main() -> None:
    src, work, repeats = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
    from lerobot.datasets.dataset_tools import delete_episodes, merge_datasets, split_dataset
    from lerobot.datasets.lerobot_dataset import LeRobotDataset

    ds = LeRobotDataset("bench/src", root=src, video_backend="pyav")
    mid = ds.meta.total_episodes // 2
    times: dict[str, list[float]] = {"delete": [], "split": [], "merge": []}
    for r in range(repeats):
        run = work / f"run{r}"
        shutil.rmtree(run, ignore_errors=True)
        t = time.perf_counter()
        delete_episodes(ds, [mid], output_dir=run / "delete", repo_id="bench/delete")
        times["delete"].append(time.perf_counter() - t)
        t = time.perf_counter()
        parts = split_dataset(ds, {"train": 0.8, "val": 0.2}, output_dir=run / "split")
        times["split"].append(time.perf_counter() - t)
        t = time.perf_counter()
        merge_datasets(
            [parts["val"], parts["train"]], output_repo_id="bench/merge", output_dir=run / "merge"
        )
        times["merge"].append(time.perf_counter() - t)
    out = {k: statistics.median(v) for k, v in times.items()}
    out["last_run"] = str(work / f"run{repeats - 1}")
    print("RESULT " + json.dumps(out))


if __name__ == "__main__":
    main()
