"""docs/architecture.md shows the layering table exactly as tools/check_imports.py enforces it."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def load_checker():
    spec = importlib.util.spec_from_file_location("check_imports", REPO / "tools/check_imports.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["check_imports"] = module
    spec.loader.exec_module(module)
    return module


def code_table(checker) -> dict[str, tuple[str, str, str]]:
    def names(items) -> str:
        return ", ".join(f"`{item}`" for item in items) or "—"

    rows = {}
    for package, allowed in checker.ALLOWED_LR_IMPORTS.items():
        restricted = checker.RESTRICTED_LR_IMPORTS.get(package, {})
        only = "; ".join(f"`{other}`: {names(mods)}" for other, mods in restricted.items()) or "—"
        torch = (
            names(checker.TORCH_MODULES[package]) if checker.TORCH_MODULES[package] else ("nowhere")
        )
        rows[f"`{package}`"] = (names(sorted(allowed)), only, torch)
    return rows


def doc_table() -> dict[str, tuple[str, str, str]]:
    text = (REPO / "docs/architecture.md").read_text()
    block = text.split("<!-- layering-table:start -->")[1].split("<!-- layering-table:end -->")[0]
    rows = {}
    for line in block.strip().splitlines()[2:]:
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        rows[cells[0]] = tuple(cells[1:])
    return rows


def test_architecture_doc_matches_the_enforced_table():
    assert doc_table() == code_table(load_checker())
