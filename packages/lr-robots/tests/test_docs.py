"""The Python examples in docs/robots.md run as written (from the repository root)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
BLOCKS = re.findall(r"```python\n(.*?)```", (REPO / "docs/robots.md").read_text(), flags=re.S)


@pytest.mark.slow
@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_doc_example_runs(index, tmp_path):
    env = {**os.environ, "HF_LEROBOT_CALIBRATION": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", BLOCKS[index]], cwd=REPO, capture_output=True,
                         text=True, timeout=300, env=env)  # fmt: skip
    assert out.returncode == 0, out.stderr[-3000:]
