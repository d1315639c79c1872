"""Convert a v2.1 dataset with LeRobot's own converter (run by the peer's interpreter).

usage: python lerobot_convert_v21.py SRC WORKDIR
Copies SRC to WORKDIR/ds, runs convert_dataset(root=WORKDIR/ds, push_to_hub=False) (which
converts in place) and prints ``RESULT {json}`` with the converted info.json, stats.json and
the episodes rows (stats columns dropped).
"""

import json
import shutil
import sys
from pathlib import Path


def main() -> None:
    src, work = Path(sys.argv[1]), Path(sys.argv[2])
    root = work / "ds"
    shutil.copytree(src, root)
    from lerobot.scripts.convert_dataset_v21_to_v30 import convert_dataset

    convert_dataset(repo_id="peer/v21", root=str(root), push_to_hub=False)
    import pyarrow.parquet as pq

    rows = []
    for path in sorted((root / "meta/episodes").glob("*/*.parquet")):
        for row in pq.read_table(path).to_pylist():
            rows.append({k: v for k, v in row.items() if not k.startswith("stats/")})
    print(
        "RESULT "
        + json.dumps(
            {
                "root": str(root),
                "info": json.loads((root / "meta/info.json").read_text()),
                "stats": json.loads((root / "meta/stats.json").read_text()),
                "episodes": rows,
            }
        )
    )


if __name__ == "__main__":
    main()
