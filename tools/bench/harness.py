"""What the benchmark drivers share: each case runs in a process of its own and reports one
``RESULT {json}`` line, and LeRobot's interpreter is found by tools/peer/locate.py.

Imported by the drivers (``sys.path`` holds tools/bench), never by the peer-side scripts.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def peer_python(version: str = "0.6.1") -> Path | None:
    """The interpreter of the installed LeRobot ``version`` (tools/peer/install.sh), or
    ``None`` when it is not installed."""
    spec = importlib.util.spec_from_file_location("peer_locate", REPO / "tools/peer/locate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.peer_python(version)


def run_child(
    cmd: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,
    cwd: str | Path = "/tmp",
) -> dict:
    """Run ``cmd`` and return the JSON of its last ``RESULT`` line.

    Raises:
        RuntimeError: the command failed or printed no ``RESULT`` line (its stderr's tail).
        subprocess.TimeoutExpired: it ran past ``timeout`` seconds.
    """
    proc = subprocess.run(
        list(cmd),
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
        env=dict(env) if env is not None else None,
    )
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"{' '.join(list(cmd)[:4])} failed:\n{proc.stderr[-3000:]}")
    return json.loads(lines[-1].removeprefix("RESULT "))
