"""The Python examples in docs/inference.md run as written (from the repository root)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
PAGE = (REPO / "docs/inference.md").read_text()
BLOCKS = re.findall(r"```python\n(.*?)```", PAGE, flags=re.S)


def test_the_page_has_examples():
    assert len(BLOCKS) >= 2


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_doc_example_runs(index):
    out = subprocess.run(
        [sys.executable, "-c", BLOCKS[index]], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr[-3000:]
    expected = re.findall(r"# (\[\[.*\]\]|\(\d+, \d+\) \[.*\])$", BLOCKS[index], flags=re.M)
    for line in expected:
        assert line in out.stdout, (line, out.stdout)
