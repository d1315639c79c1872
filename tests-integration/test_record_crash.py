"""``lr record`` killed with SIGKILL at a moment of each kind (a frame, a background save, the
encoders' flush, finalize): the dataset loads with every episode reported saved, and
``--resume`` continues it. CI runs one trial per kind; the full run (20+ trials) is
``uv run python tools/crash/record_kill9.py --trials 20`` (docs/benchmarks.md)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

pytest.importorskip("lr_dataset")
REPO = Path(__file__).resolve().parents[1]


def load_harness():
    spec = importlib.util.spec_from_file_location(
        "record_kill9", REPO / "tools/crash/record_kill9.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules["record_kill9"] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_lr_record_survives_sigkill_at_each_kind_of_moment(tmp_path):
    harness = load_harness()
    report = tmp_path / "trials.json"
    code = harness.main(
        ["--trials", "4", "--seed", "7", "--workdir", str(tmp_path), "--json", str(report)]
    )
    trials = json.loads(report.read_text())
    assert [t["kind"] for t in trials] == list(harness.KINDS)
    assert code == 0, [t["problem"] for t in trials if not t["ok"]]
    assert all(t["episodes_after_resume"] == t["episodes_after_kill"] + 1 for t in trials)
    assert any(t["killed"] and t["reported_saved"] for t in trials)  # killed with data on disk
