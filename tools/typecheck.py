"""Type check the workspace with pyright and hold each distribution to its error budget.

pyright's settings are ``[tool.pyright]`` in the root ``pyproject.toml``. The distributions in its
``strict`` list (lr-core, lr-motors) must have no error at all. Every other distribution is checked
in pyright's standard mode and may have at most the number of errors its line in
``tools/typecheck_budget.toml`` allows: the count it had when the budget was last lowered. The
budget is a ratchet that only turns one way:

- more errors than the budget: new code brought errors in; fix them (the run lists them);
- fewer errors than the budget: errors were fixed; lower the budget (``--update``) in the same
  commit, so that they cannot come back unnoticed.

Paths in the budget file's ``[lenient]`` table belong to modules being rewritten on other
branches: their errors are shown in the summary, not counted. Each entry says why; it leaves the
table once the rewrite has landed and its errors are fixed or budgeted.

Usage (from the repository root)::

    uv run python tools/typecheck.py                  # the check CI runs
    uv run python tools/typecheck.py --show lr-robots # list one distribution's errors
    uv run python tools/typecheck.py --update         # lower budgets to today's counts

Exit status: 0 when every distribution is within (and exactly at) its budget, 1 otherwise, 2 when
pyright itself could not run.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BUDGET_FILE = REPO / "tools" / "typecheck_budget.toml"
PYPROJECT = REPO / "pyproject.toml"


@dataclass(frozen=True)
class Diagnostic:
    """One pyright error: repository-relative POSIX path, 1-based line, rule and message."""

    path: str
    line: int
    rule: str
    message: str

    def __str__(self) -> str:
        first = self.message.splitlines()[0] if self.message else ""
        return f"{self.path}:{self.line}: {first} [{self.rule}]"


@dataclass(frozen=True)
class Budget:
    """The checked-in budget: allowed errors per distribution, lenient path patterns -> reason."""

    errors: Mapping[str, int]
    lenient: Mapping[str, str]


@dataclass(frozen=True)
class Row:
    """One distribution's line in the summary."""

    distribution: str
    strict: bool
    counted: int
    lenient: int
    budget: int

    @property
    def verdict(self) -> str:
        if self.counted > self.budget:
            return "OVER BUDGET" if not self.strict else "ERRORS (strict)"
        if self.counted < self.budget:
            return "budget stale: lower it (--update)"
        return "ok"


def load_budget(path: Path = BUDGET_FILE) -> Budget:
    """Read ``tools/typecheck_budget.toml``.

    Raises:
        ValueError: a budget is not a non-negative integer or a lenient reason is empty.
    """
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    errors = data.get("errors", {})
    lenient = data.get("lenient", {})
    for name, value in errors.items():
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ValueError(f"{path}: [errors] {name} = {value!r}, expected an integer >= 0")
    for pattern, reason in lenient.items():
        if not isinstance(reason, str) or not reason.strip():
            raise ValueError(f"{path}: [lenient] {pattern!r} needs a reason (a non-empty string)")
    return Budget(errors=dict(errors), lenient=dict(lenient))


def strict_distributions(pyproject: Path = PYPROJECT) -> list[str]:
    """Distributions whose ``packages/<name>/src`` is in ``[tool.pyright] strict``."""
    config = tomllib.loads(pyproject.read_text(encoding="utf-8"))["tool"]["pyright"]
    names = []
    for entry in config.get("strict", []):
        parts = Path(entry).parts
        if len(parts) >= 2 and parts[0] == "packages":
            names.append(parts[1])
    return names


def distributions() -> list[str]:
    """Every workspace distribution (a folder under ``packages/`` with a ``src/``)."""
    return sorted(p.name for p in (REPO / "packages").iterdir() if (p / "src").is_dir())


def distribution_of(path: str) -> str | None:
    """``packages/lr-robots/src/...`` -> ``lr-robots``; ``None`` outside ``packages/``."""
    parts = path.split("/")
    return parts[1] if len(parts) > 2 and parts[0] == "packages" else None


def is_lenient(path: str, patterns: Iterable[str]) -> bool:
    """Whether ``path`` matches a lenient pattern (fnmatch: ``*`` also matches ``/``)."""
    return any(fnmatch(path, pattern) for pattern in patterns)


def parse_report(report: Mapping[str, object], root: Path = REPO) -> list[Diagnostic]:
    """The errors in pyright's ``--outputjson`` report (warnings and information are dropped)."""
    found: list[Diagnostic] = []
    entries = report.get("generalDiagnostics", [])
    assert isinstance(entries, list)
    for entry in entries:
        if entry.get("severity") != "error":
            continue
        file = Path(entry["file"])
        try:
            path = file.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            path = file.as_posix()
        line = int(entry.get("range", {}).get("start", {}).get("line", 0)) + 1
        found.append(Diagnostic(path, line, entry.get("rule", "error"), entry.get("message", "")))
    return found


def tally(
    diagnostics: Sequence[Diagnostic], budget: Budget, strict: Iterable[str], names: Iterable[str]
) -> list[Row]:
    """One row per distribution: counted errors, lenient errors, budget (0 when strict)."""
    strict_set = set(strict)
    rows = []
    for name in names:
        mine = [d for d in diagnostics if distribution_of(d.path) == name]
        lenient = sum(is_lenient(d.path, budget.lenient) for d in mine)
        allowed = 0 if name in strict_set else budget.errors.get(name, 0)
        rows.append(Row(name, name in strict_set, len(mine) - lenient, lenient, allowed))
    return rows


def budget_problems(budget: Budget, strict: Iterable[str], names: Iterable[str]) -> list[str]:
    """Budget entries that make no sense: strict distributions with a budget, unknown names."""
    known = set(names)
    problems = []
    for name in budget.errors:
        if name in set(strict):
            problems.append(f"{name} is strict in pyproject.toml: it has no budget, remove {name}")
        elif name not in known:
            problems.append(f"[errors] names {name!r}, which is not a distribution")
    for pattern in budget.lenient:
        if distribution_of(pattern) in set(strict):
            problems.append(f"[lenient] {pattern!r} is inside a strict distribution")
    return problems


def lowered_budget_text(text: str, counts: Mapping[str, int]) -> str:
    """``text`` with each ``"name" = N`` line of ``[errors]`` lowered to ``counts[name]``.

    Budgets only go down: a count above the budget leaves the line as it is.
    """

    def replace(match: re.Match[str]) -> str:
        name, old = match.group(2), int(match.group(4))
        new = counts.get(name, old)
        return f"{match.group(1)}{match.group(3)}{min(old, new)}"

    section = re.search(r"^\[errors\]\s*$(.*?)(?=^\[|\Z)", text, flags=re.M | re.S)
    if section is None:
        return text
    body = re.sub(r'^(\s*"?([\w.-]+)"?)(\s*=\s*)(\d+)', replace, section.group(1), flags=re.M)
    return text[: section.start(1)] + body + text[section.end(1) :]


def run_pyright() -> tuple[dict[str, object], float]:
    """Run pyright on the configured tree; its JSON report and the wall time in seconds.

    Raises:
        RuntimeError: pyright did not produce a report (not installed, crashed).
    """
    env = dict(os.environ, PYRIGHT_PYTHON_IGNORE_WARNINGS="1")
    start = time.perf_counter()
    proc = subprocess.run(
        # the interpreter running this script is the environment to check against, wherever
        # uv put it (UV_PROJECT_ENVIRONMENT); pyproject's venv setting serves editors
        [sys.executable, "-m", "pyright", "--outputjson", "--pythonpath", sys.executable],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - start
    try:
        return json.loads(proc.stdout), elapsed
    except json.JSONDecodeError as exc:
        raise RuntimeError(
            f"pyright gave no JSON report (exit {proc.returncode}); is the dev group installed "
            f"(uv sync)?\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"
        ) from exc


def main(argv: Sequence[str] | None = None) -> int:
    """Run the check; see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--show",
        metavar="DIST",
        action="append",
        default=[],
        help="list every error of this distribution (repeatable; 'all' for all)",
    )
    parser.add_argument(
        "--update",
        action="store_true",
        help="lower budgets in tools/typecheck_budget.toml to today's counts",
    )
    args = parser.parse_args(argv)

    budget = load_budget()
    strict = strict_distributions()
    names = distributions()
    problems = budget_problems(budget, strict, names)
    try:
        report, elapsed = run_pyright()
    except RuntimeError as exc:
        print(exc, file=sys.stderr)
        return 2
    diagnostics = parse_report(report)
    rows = tally(diagnostics, budget, strict, names)

    if args.update:
        counts = {row.distribution: row.counted for row in rows}
        text = BUDGET_FILE.read_text(encoding="utf-8")
        BUDGET_FILE.write_text(lowered_budget_text(text, counts), encoding="utf-8")
        budget = load_budget()
        rows = tally(diagnostics, budget, strict, names)

    failing = {row.distribution for row in rows if row.verdict != "ok"}
    wanted = set(names) if "all" in args.show else set(args.show)
    for row in rows:
        if row.distribution in wanted or (row.strict and row.counted) or (row.counted > row.budget):
            for d in diagnostics:
                if distribution_of(d.path) == row.distribution and (
                    row.distribution in wanted or not is_lenient(d.path, budget.lenient)
                ):
                    print(d)

    print(f"\npyright: {len(diagnostics)} errors in {elapsed:.1f} s")
    print(f"{'distribution':<14} {'mode':<9} {'errors':>6} {'budget':>6} {'lenient':>7}  verdict")
    for row in rows:
        mode = "strict" if row.strict else "standard"
        print(
            f"{row.distribution:<14} {mode:<9} {row.counted:>6} {row.budget:>6} "
            f"{row.lenient:>7}  {row.verdict}"
        )
    for problem in problems:
        print(f"budget file: {problem}")
    if failing or problems:
        print(
            "\nType check failed. Over budget: fix the errors listed above (a `# pyright: "
            "ignore[rule]` needs the rule and a reason). Budget stale: run "
            "`uv run python tools/typecheck.py --update` and commit tools/typecheck_budget.toml."
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
