"""Every distribution's README has a code map naming every module of its ``src`` tree.

The map is the table under a ``## Code map`` heading; the first cell of each row names modules
in backticks, relative to ``src/<package>/``:

- a file: ``bus.py``, ``feetech/bus.py``; after a name with a folder, a bare name in the same
  cell is in that folder (```tools/delete.py`, `split.py``);
- a folder: ``cameras/`` covers everything under it (one line for a whole folder);
- a pattern: ``layers/*.py``, ``quickstart*.py`` (fnmatch).

A module is every ``.py`` file except an ``__init__.py`` that defines no class or function but
a module ``__getattr__``/``__dir__`` (a package marker or lazy re-export list). Names in the
map must exist (a folder may hold data files only), so a map cannot keep a module that was
removed either.
"""

from __future__ import annotations

import ast
import re
from fnmatch import fnmatch
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DISTRIBUTIONS = sorted(p for p in (REPO / "packages").iterdir() if (p / "src").is_dir())


def package_dir(dist: Path) -> Path:
    (package,) = [p for p in (dist / "src").iterdir() if p.is_dir() and not p.name.startswith(".")]
    return package


#: module functions of a lazy re-export list (PEP 562), not code of their own
LAZY_EXPORT_HOOKS = {"__getattr__", "__dir__"}


def needs_a_line(path: Path) -> bool:
    if path.name != "__init__.py":
        return True
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return any(
        isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        and node.name not in LAZY_EXPORT_HOOKS
        for node in tree.body
    )


def modules(package: Path) -> list[str]:
    return sorted(
        p.relative_to(package).as_posix()
        for p in package.rglob("*.py")
        if "__pycache__" not in p.parts and needs_a_line(p)
    )


def code_map(readme: str) -> list[str]:
    """The names in the first cell of each row of the README's code-map table."""
    match = re.search(r"^## Code map.*?$(.*?)(?=^## |\Z)", readme, flags=re.M | re.S)
    if match is None:
        return []
    names: list[str] = []
    for line in match.group(1).splitlines():
        if not line.startswith("|"):
            continue
        first = line.strip("|").split("|")[0]
        folder = ""
        for name in re.findall(r"`([^`]+)`", first):
            if "/" in name:
                folder = name.rsplit("/", 1)[0] + "/" if not name.endswith("/") else ""
            elif folder:
                name = folder + name
            names.append(name)
    return names


def covers(name: str, module: str) -> bool:
    if name.endswith("/"):
        return module.startswith(name)
    return fnmatch(module, name)


@pytest.mark.parametrize("dist", DISTRIBUTIONS, ids=lambda p: p.name)
def test_the_code_map_names_every_module(dist):
    readme = (dist / "README.md").read_text(encoding="utf-8")
    names = code_map(readme)
    assert names, f"{dist.name}/README.md has no '## Code map' table"
    missing = [m for m in modules(package_dir(dist)) if not any(covers(n, m) for n in names)]
    assert missing == [], f"{dist.name}/README.md: add these to the code map: {missing}"


@pytest.mark.parametrize("dist", DISTRIBUTIONS, ids=lambda p: p.name)
def test_the_code_map_names_nothing_that_is_gone(dist):
    package = package_dir(dist)
    every = [
        p.relative_to(package).as_posix()
        for p in package.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    ]
    names = code_map((dist / "README.md").read_text(encoding="utf-8"))
    stale = [n for n in names if not any(covers(n, m) for m in every)]
    assert stale == [], f"{dist.name}/README.md maps modules that do not exist: {stale}"


def test_the_reading_rules():
    readme = (
        "# x\n\n## Code map (`src/x/`)\n\n| module | what |\n|---|---|\n"
        "| `bus.py` | a `thing.py` in the second cell is ignored |\n"
        "| `tools/delete.py`, `split.py` | tools |\n"
        "| `cameras/` | a folder |\n"
        "| `layers/*.py` | a pattern |\n\n## Next\n| `other.py` | not in the map |\n"
    )
    names = code_map(readme)
    assert names == ["bus.py", "tools/delete.py", "tools/split.py", "cameras/", "layers/*.py"]
    assert covers("cameras/", "cameras/opencv/camera.py")
    assert not covers("cameras/", "cameras.py")
    assert covers("layers/*.py", "layers/unet1d.py")
    assert not covers("bus.py", "feetech/bus.py")


def test_an_init_that_defines_something_needs_a_line(tmp_path):
    marker = tmp_path / "a" / "__init__.py"
    marker.parent.mkdir()
    marker.write_text('"""Lazy names."""\n_EXPORTS = {"X": "a.x"}\n')
    real = tmp_path / "b" / "__init__.py"
    real.parent.mkdir()
    real.write_text("class Emulator:\n    pass\n")
    lazy = tmp_path / "c" / "__init__.py"
    lazy.parent.mkdir()
    lazy.write_text("def __getattr__(name):\n    raise AttributeError(name)\n")
    assert modules(tmp_path) == ["b/__init__.py"]
