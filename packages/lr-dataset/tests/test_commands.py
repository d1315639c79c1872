"""``lr dataset info`` through the real ``lr`` front door."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"


def _lr(*args: str) -> subprocess.CompletedProcess:
    code = "import sys; from lr_core.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True)


def test_lr_dataset_info_text_and_json():
    root = FIXTURES / "lerobot-0.6.1-video"
    out = _lr("dataset", "info", str(root))
    assert out.returncode == 0, out.stderr
    assert "3 episodes, 18 frames" in out.stdout and "[av1]" in out.stdout
    data = json.loads(_lr("dataset", "info", str(root), "--json").stdout)
    assert data["tasks"] == ["pick the cube", "place the cube"] and data["consistent"]
    assert data["features"]["observation.images.front"]["shape"] == [32, 48, 3]


def test_lr_dataset_info_on_a_missing_dataset_is_a_clean_error(tmp_path):
    out = _lr("dataset", "info", str(tmp_path / "nope"))
    assert out.returncode == 1 and "does not exist" in out.stderr


def test_lr_help_lists_dataset():
    assert "dataset" in _lr("--help").stdout
