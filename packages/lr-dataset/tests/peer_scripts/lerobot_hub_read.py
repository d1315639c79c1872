"""Load a dataset from the Hub with LeRobot (run by the peer's interpreter).

usage: python lerobot_hub_read.py REPO_ID [ROOT]   (ROOT: read a local folder instead)
HF_ENDPOINT must point at the Hub to use (a LocalHub on 127.0.0.1 in lr's tests) and
HF_LEROBOT_HOME at an empty folder, so LeRobot downloads the repo (resolving the v3.0 tag).
Prints ``RESULT {json}`` with the length, counters and a digest of every item.
"""

import hashlib
import json
import sys


def main() -> None:
    from lerobot.datasets.lerobot_dataset import LeRobotDataset

    root = sys.argv[2] if len(sys.argv) > 2 else None
    ds = LeRobotDataset(sys.argv[1], root=root, video_backend="pyav")
    digest = hashlib.sha256()
    for i in range(len(ds)):
        item = ds[i]
        for key in sorted(item):
            value = item[key]
            digest.update(key.encode())
            digest.update(value.encode() if isinstance(value, str) else value.numpy().tobytes())
    print(
        "RESULT "
        + json.dumps(
            {
                "len": len(ds),
                "total_episodes": ds.meta.total_episodes,
                "root": str(ds.root),
                "revision": str(ds.revision),
                "digest": digest.hexdigest(),
            }
        )
    )


if __name__ == "__main__":
    main()
