"""Start-up cost of the core: ``import lr_core`` and ``lr --help``, each in a fresh process.

    uv run python tools/bench/core.py [--repeat 15]

Prints the median and best wall time of each command over ``--repeat`` fresh interpreters, with
the bare interpreter start (``python -c pass``) alongside so the import's own share is visible.
When the reference peer is installed (tools/peer/install.sh) it also times ``import lerobot``
in the peer's interpreter for context. Goal (issue 2): ``import lr_core`` under 0.3 s.
"""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def load_locate():
    spec = importlib.util.spec_from_file_location("peer_locate", REPO / "tools/peer/locate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def wall_times(cmd: list[str], repeat: int) -> list[float]:
    """Wall seconds of ``cmd`` run ``repeat`` times (after one warm-up run)."""
    subprocess.run(cmd, check=True, capture_output=True)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()

    lr = shutil.which("lr") or str(Path(sys.executable).parent / "lr")
    cases = [
        ("python -c pass", [sys.executable, "-c", "pass"]),
        ("python -c 'import lr_core'", [sys.executable, "-c", "import lr_core"]),
        (
            "python -c 'import lr_core.config, lr_core.features'",
            [sys.executable, "-c", "import lr_core.config, lr_core.features"],
        ),
        ("lr --help", [lr, "--help"]),
    ]
    peer = load_locate().peer_python("0.6.1")
    if peer is not None:
        cases.append(("peer: python -c 'import lerobot'", [str(peer), "-c", "import lerobot"]))

    print(f"{'command':<52} {'median s':>9} {'best s':>8}")
    for label, cmd in cases:
        times = wall_times(cmd, args.repeat)
        print(f"{label:<52} {statistics.median(times):>9.3f} {min(times):>8.3f}")


if __name__ == "__main__":
    main()
