"""Dependency direction between distributions, checked on the source and at run time."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def load_checker():
    spec = importlib.util.spec_from_file_location("check_imports", REPO / "tools/check_imports.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["check_imports"] = module
    spec.loader.exec_module(module)
    return module


def test_source_respects_the_layering_table():
    checker = load_checker()
    violations, graph = checker.check()
    assert [str(v) for v in violations] == []
    assert checker.find_cycle(graph) is None


def test_checker_catches_a_forbidden_import_and_a_cycle(tmp_path):
    checker = load_checker()
    tree = checker.ast.parse("import torch\nfrom lr_policies.act import model\n")
    assert [name for _, name in checker.imported_modules(tree)] == ["torch", "lr_policies.act"]
    assert checker.find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert checker.find_cycle({"a": {"b"}, "b": set()}) is None


@pytest.mark.parametrize("package", sorted(load_checker().ALLOWED_LR_IMPORTS))
def test_no_import_cycle_inside_a_distribution(package):
    checker = load_checker()
    assert checker.module_cycles(checker.module_graph(package)) == []


def test_module_cycles_finds_every_circle_and_ignores_type_checking_imports():
    checker = load_checker()
    graph = {"a": {"b"}, "b": {"a", "c"}, "c": set(), "d": {"e"}, "e": {"f"}, "f": {"d"}}
    assert checker.module_cycles(graph) == [["a", "b"], ["d", "e", "f"]]
    tree = checker.ast.parse(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from x.y import Z\n"
        "def f():\n    from x.w import V\n"
    )
    assert [m for _, m, _ in checker._runtime_imports(tree)] == ["typing", "x.w"]


# Distributions whose public API must import without torch (and without each other's heavy
# dependencies). For lr_dataset the torch-backed names are checked separately.
TORCH_FREE = ["lr_core", "lr_motors", "lr_robots", "lr_inference", "lr_sim", "lr_dataset"]
TORCH_NAMES_ALLOWED = {
    "lr_dataset": {
        "LeRobotDataset",
        "TorchLeRobotDataset",
        "DataLoader",
        "StreamingLeRobotDataset",
        "StreamingMixture",
    }
}


@pytest.mark.parametrize("package", TORCH_FREE)
def test_public_api_imports_without_torch(package):
    skip = sorted(TORCH_NAMES_ALLOWED.get(package, ()))
    code = (
        f"import sys, {package} as p\n"
        f"skip = set({skip!r})\n"
        "for name in p.__all__:\n"
        "    if name not in skip:\n"
        "        getattr(p, name)\n"
        "heavy = [m for m in ('torch', 'torchvision') if m in sys.modules]\n"
        "print(heavy)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]", f"{package} pulled in {result.stdout.strip()}"
