"""Compute LeRobot's episode stats and their aggregate (run by the peer's interpreter).

usage: python lerobot_stats.py EPISODES.npz FEATURES.json
``EPISODES.npz`` holds ``<episode>/<feature>`` arrays: numeric ``(N, D)`` columns and uint8
``(N, H, W, C)`` frames for image features (written to PNG files first, as LeRobot's recorder
does). Prints ``RESULT {"episodes": [...], "aggregate": {...}}`` with nested lists.
"""

import json
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image


def as_lists(stats):
    return {k: {s: np.asarray(v).tolist() for s, v in f.items()} for k, f in stats.items()}


def main() -> None:
    from lerobot.datasets.compute_stats import aggregate_stats, compute_episode_stats

    npz = np.load(sys.argv[1])
    features = json.loads(Path(sys.argv[2]).read_text())
    episodes: dict[int, dict] = {}
    for name in npz.files:
        ep, key = name.split("/", 1)
        episodes.setdefault(int(ep), {})[key] = npz[name]
    tmp = Path(tempfile.mkdtemp())
    per_episode = []
    for ep in sorted(episodes):
        data = {}
        for key, value in episodes[ep].items():
            if features[key]["dtype"] in ("image", "video"):
                paths = []
                for i, frame in enumerate(value):
                    path = tmp / f"{key}-{ep}-{i}.png"
                    Image.fromarray(frame).save(path, compress_level=1)
                    paths.append(str(path))
                data[key] = paths
            else:
                data[key] = value
        per_episode.append(compute_episode_stats(data, features))
    result = {
        "episodes": [as_lists(s) for s in per_episode],
        "aggregate": as_lists(aggregate_stats(per_episode)),
    }
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
