"""The type check's ratchet (tools/typecheck.py) and the rules for silencing an error.

pyright itself runs in CI as its own step (``.ci/run``); these tests check the bookkeeping around
it on made-up reports, the checked-in budget, and every ignore comment in the sources.
"""

from __future__ import annotations

import ast
import importlib.util
import io
import re
import sys
import tokenize
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def load_tool():
    spec = importlib.util.spec_from_file_location("typecheck", REPO / "tools/typecheck.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["typecheck"] = module
    spec.loader.exec_module(module)
    return module


tc = load_tool()


def diag(path: str, rule: str = "reportArgumentType") -> object:
    return tc.Diagnostic(path, 1, rule, "message")


# --- the checked-in configuration ---------------------------------------------------------------


def test_strict_distributions_are_lr_core_and_lr_motors():
    assert tc.strict_distributions() == ["lr-core", "lr-motors"]


def test_every_other_distribution_has_a_budget_and_strict_ones_none():
    budget = tc.load_budget()
    strict = tc.strict_distributions()
    names = tc.distributions()
    assert tc.budget_problems(budget, strict, names) == []
    assert sorted(budget.errors) == sorted(set(names) - set(strict))


def test_every_lenient_entry_says_why_and_points_into_a_ratcheted_distribution():
    budget = tc.load_budget()  # an empty table is the goal: every module counted
    for pattern, reason in budget.lenient.items():
        assert pattern.startswith("packages/") and "/src/" in pattern, pattern
        assert tc.distribution_of(pattern) not in tc.strict_distributions(), pattern
        assert len(reason.split()) >= 3, f"{pattern}: say why it is lenient"


# --- the ratchet --------------------------------------------------------------------------------

BUDGET = tc.Budget(
    errors={"lr-robots": 2, "lr-sim": 1},
    lenient={"packages/lr-robots/src/lr_robots/record*": "being written (branch record)"},
)
NAMES = ["lr-core", "lr-robots", "lr-sim"]


def rows(diagnostics):
    return {r.distribution: r for r in tc.tally(diagnostics, BUDGET, ["lr-core"], NAMES)}


def test_at_budget_passes_and_lenient_paths_are_not_counted():
    result = rows(
        [
            diag("packages/lr-robots/src/lr_robots/arm.py"),
            diag("packages/lr-robots/src/lr_robots/cli.py"),
            diag("packages/lr-robots/src/lr_robots/record/loop.py"),
            diag("packages/lr-robots/src/lr_robots/record.py"),
            diag("packages/lr-sim/src/lr_sim/robot.py"),
        ]
    )
    assert (result["lr-robots"].counted, result["lr-robots"].lenient) == (2, 2)
    assert {name: row.verdict for name, row in result.items()} == {
        "lr-core": "ok",
        "lr-robots": "ok",
        "lr-sim": "ok",
    }


def test_one_error_over_budget_fails():
    result = rows(
        [diag("packages/lr-sim/src/lr_sim/a.py"), diag("packages/lr-sim/src/lr_sim/b.py")]
    )
    assert result["lr-sim"].verdict == "OVER BUDGET"


def test_fewer_errors_than_the_budget_fail_until_it_is_lowered():
    result = rows([diag("packages/lr-robots/src/lr_robots/arm.py")])
    assert result["lr-robots"].verdict.startswith("budget stale")
    assert result["lr-sim"].verdict.startswith("budget stale")


def test_a_strict_distribution_fails_on_its_first_error():
    result = rows([diag("packages/lr-core/src/lr_core/wire.py")])
    assert result["lr-core"].budget == 0
    assert result["lr-core"].verdict == "ERRORS (strict)"


def test_update_only_lowers_budgets():
    text = (
        '# note\n[errors]\nlr-robots = 10\nlr-sim = 3\n"lr-dataset" = 7\n\n[lenient]\n"x" = "y"\n'
    )
    lowered = tc.lowered_budget_text(text, {"lr-robots": 4, "lr-sim": 9, "lr-dataset": 0})
    assert lowered == (
        '# note\n[errors]\nlr-robots = 4\nlr-sim = 3\n"lr-dataset" = 0\n\n[lenient]\n"x" = "y"\n'
    )


def test_budget_entries_for_strict_or_unknown_distributions_are_refused():
    budget = tc.Budget(errors={"lr-core": 0, "lr-nope": 1}, lenient={})
    problems = tc.budget_problems(budget, ["lr-core"], NAMES)
    assert len(problems) == 2
    assert "lr-core is strict" in problems[0]
    assert "'lr-nope'" in problems[1]


def test_a_bad_budget_value_is_an_error_naming_it(tmp_path):
    path = tmp_path / "budget.toml"
    path.write_text("[errors]\nlr-sim = -1\n")
    with pytest.raises(ValueError, match="lr-sim = -1"):
        tc.load_budget(path)
    path.write_text('[lenient]\n"packages/lr-sim/src/x.py" = ""\n')
    with pytest.raises(ValueError, match="needs a reason"):
        tc.load_budget(path)


def test_pyright_report_keeps_errors_only_with_repository_paths(tmp_path):
    report = {
        "generalDiagnostics": [
            {
                "file": str(tmp_path / "packages/lr-sim/src/lr_sim/robot.py"),
                "severity": "error",
                "message": "first line\n  detail",
                "rule": "reportCallIssue",
                "range": {"start": {"line": 41, "character": 0}},
            },
            {"file": str(tmp_path / "x.py"), "severity": "warning", "message": "w"},
        ]
    }
    (found,) = tc.parse_report(report, root=tmp_path)
    assert found.path == "packages/lr-sim/src/lr_sim/robot.py"
    assert str(found) == "packages/lr-sim/src/lr_sim/robot.py:42: first line [reportCallIssue]"
    assert tc.distribution_of(found.path) == "lr-sim"


# --- ignore comments ----------------------------------------------------------------------------

PYRIGHT_IGNORE = re.compile(r"#\s*pyright:\s*ignore\b(\[[\w, ]+\])?(.*)")
TYPE_IGNORE = re.compile(r"#\s*type:\s*ignore\b(\[[\w\-, ]+\])?")


def comments(path: Path) -> list[tuple[int, str, list[str]]]:
    """``(line, comment, the comment lines just above it)`` for each comment token (decorator
    lines between the comment block and the line are skipped)."""
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    out = []
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.COMMENT:
            row = tok.start[0]
            above = []
            k = row - 2
            while k >= 0 and lines[k].strip().startswith("@"):
                k -= 1
            while k >= 0 and lines[k].strip().startswith("#"):
                above.append(lines[k].strip())
                k -= 1
            out.append((row, tok.string, above))
    return out


def source_files() -> list[Path]:
    return sorted(REPO.glob("packages/*/src/**/*.py")) + sorted(REPO.glob("tools/**/*.py"))


def test_every_pyright_ignore_names_its_rule_and_says_why():
    bad = []
    for path in source_files():
        for row, comment, above in comments(path):
            match = PYRIGHT_IGNORE.search(comment)
            if not match:
                continue
            where = f"{path.relative_to(REPO)}:{row}"
            if not match.group(1):
                bad.append(f"{where}: name the rule, e.g. # pyright: ignore[reportCallIssue]")
            elif not (match.group(2).strip(" #") or above):
                bad.append(f"{where}: say why, in a comment after it or on the line above")
    assert bad == []


def test_no_bare_type_ignore_and_none_at_all_in_strict_distributions():
    # pyright is run with enableTypeIgnoreComments = false: a `# type: ignore` silences nothing,
    # so in the strict distributions it can only mislead; anywhere, a bare one names nothing.
    strict = tc.strict_distributions()
    bad = []
    for path in source_files():
        relative = path.relative_to(REPO).as_posix()
        for row, comment, _ in comments(path):
            match = TYPE_IGNORE.search(comment)
            if not match:
                continue
            if tc.distribution_of(relative) in strict:
                bad.append(f"{relative}:{row}: use `# pyright: ignore[rule]` with a reason")
            elif not match.group(1):
                bad.append(f"{relative}:{row}: a bare `# type: ignore` names no error code")
    assert bad == []


#: Files allowed to give pydantic Field defaults positionally: none since every branch that was
#: rewriting one has landed; kept so that an exception, if one is ever needed, says so here.
POSITIONAL_FIELD_DEFAULTS_LEFT: set[str] = set()


def positional_field_defaults(source: str) -> list[int]:
    """Lines of ``Field(value, ...)`` calls: type checkers read a Field default only when it is
    given as ``default=``, so with a positional one the field looks required to them."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and node.args:
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            if name == "Field":
                lines.append(node.lineno)
    return lines


def test_pydantic_field_defaults_are_given_as_default_keyword():
    found = {}
    for path in sorted(REPO.glob("packages/*/src/**/*.py")):
        relative = path.relative_to(REPO).as_posix()
        lines = positional_field_defaults(path.read_text(encoding="utf-8"))
        if lines and relative not in POSITIONAL_FIELD_DEFAULTS_LEFT:
            found[relative] = lines
    assert found == {}, "write Field(default=..., ...): " + repr(found)
    fixed = [
        name
        for name in POSITIONAL_FIELD_DEFAULTS_LEFT
        if not positional_field_defaults((REPO / name).read_text(encoding="utf-8"))
    ]
    assert fixed == [], f"remove from POSITIONAL_FIELD_DEFAULTS_LEFT: {fixed}"
    assert positional_field_defaults("x: int = Field(0, ge=0)\n") == [1]
    assert positional_field_defaults("x: int = Field(default=0, ge=0)\n") == []


def test_the_ignore_rules_catch_what_they_are_for(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "a = 1  # pyright: ignore\n"
        "b = 2  # pyright: ignore[reportCallIssue]\n"
        "# the SDK returns a list here\n"
        "c = 3  # pyright: ignore[reportCallIssue]\n"
        "d = 4  # pyright: ignore[reportCallIssue]  # the SDK returns a list here\n"
        "e = 5  # type: ignore\n"
        "# a cached value is never assigned\n"
        "@cached_property\n"
        "def f(self): ...  # pyright: ignore[reportIncompatibleMethodOverride]\n"
    )
    found = {row: comment for row, comment, above in comments(sample) if not above}
    assert PYRIGHT_IGNORE.search(found[1]).group(1) is None
    assert PYRIGHT_IGNORE.search(found[2]).group(2).strip(" #") == ""
    assert 4 not in found  # the comment above counts as its reason
    assert PYRIGHT_IGNORE.search(found[5]).group(2).strip(" #") == "the SDK returns a list here"
    assert TYPE_IGNORE.search(found[6]).group(1) is None
    assert 9 not in found  # the comment above the decorator counts
