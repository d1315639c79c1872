"""lr_core.lazy: one lazy-export mechanism for every package, and the check behind the tests."""

from __future__ import annotations

import sys
import textwrap

import pytest

from lr_core.lazy import export_problems


@pytest.fixture
def make_package(tmp_path, monkeypatch):
    """Write a throwaway package ``pkg_<n>`` with the given ``__init__`` and modules."""
    counter = iter(range(1000))

    def make(init: str, **modules: str) -> str:
        name = f"lazypkg_{next(counter)}"
        root = tmp_path / name
        root.mkdir()
        (root / "__init__.py").write_text(textwrap.dedent(init).replace("PKG", name))
        for mod, body in modules.items():
            (root / f"{mod}.py").write_text(textwrap.dedent(body))
        monkeypatch.syspath_prepend(str(tmp_path))
        return name

    yield make
    for mod in [m for m in sys.modules if m.startswith("lazypkg_")]:
        del sys.modules[mod]


INIT = """
from __future__ import annotations
from typing import TYPE_CHECKING
from lr_core.lazy import lazy_exports
_EXPORTS = {"Thing": "PKG.things", "helper": "PKG.things"}
__all__, __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
if TYPE_CHECKING:
    from PKG.things import Thing, helper
"""
THINGS = "class Thing: ...\ndef helper(): return 1\n"


def test_names_resolve_on_first_access_and_are_cached(make_package):
    name = make_package(INIT, things=THINGS)
    pkg = __import__(name)
    assert f"{name}.things" not in sys.modules
    assert pkg.helper() == 1
    assert f"{name}.things" in sys.modules
    assert "helper" in vars(pkg)  # cached: the next access does not go through __getattr__
    assert dir(pkg) == ["Thing", "helper"]
    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        pkg.nope  # noqa: B018


def test_an_exact_package_has_no_problems(make_package):
    assert export_problems(make_package(INIT, things=THINGS)) == []


def test_a_broken_export_and_a_missing_type_checking_import_are_reported(make_package):
    init = INIT.replace('"helper": "PKG.things"', '"helper": "PKG.things", "gone": "PKG.things"')
    problems = export_problems(make_package(init, things=THINGS))
    assert any("gone does not resolve" in p for p in problems)
    assert any("'gone' is missing from the TYPE_CHECKING imports" in p for p in problems)


def test_a_typed_package_must_re_export_with_as(make_package, tmp_path):
    # a package shipping py.typed is read by type checkers as a library: a plain import in its
    # TYPE_CHECKING block is private there, so users' `from pkg import Thing` would be refused
    name = make_package(INIT, things=THINGS)
    (tmp_path / name / "py.typed").write_text("")
    problems = export_problems(name)
    assert len(problems) == 2
    assert all("ships py.typed" in p for p in problems)
    assert "`import Thing as Thing`" in problems[0]

    fixed = INIT.replace(
        "from PKG.things import Thing, helper",
        "from PKG.things import Thing as Thing, helper as helper",
    )
    name = make_package(fixed, things=THINGS)
    (tmp_path / name / "py.typed").write_text("")
    assert export_problems(name) == []


def test_a_name_shadowed_by_a_submodule_is_reported(make_package):
    # the trap lr_motors fell into: a function named like the module that defines it
    init = INIT.replace('"helper": "PKG.things"', '"helper": "PKG.helper"').replace(
        "from PKG.things import Thing, helper",
        "from PKG.things import Thing\n    from PKG.helper import helper",
    )
    name = make_package(init, things=THINGS, helper="def helper(): return 2\n")
    __import__(f"{name}.helper")
    assert any("is not" in p for p in export_problems(name))


def test_version_resolves_from_the_distribution():
    import lr_core

    assert "__version__" in lr_core.__all__
    assert lr_core.__version__.count(".") >= 1
