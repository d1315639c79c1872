"""Check the dependency direction between lr distributions by reading their source (AST).

This file holds the one table of which lr package may import which, and where the heavy
libraries may appear. Run it directly (``uv run python tools/check_imports.py``) or through
``tests-integration/test_layering.py``; it exits non-zero and names each offending import.

Rules:
1. ``ALLOWED_LR_IMPORTS[pkg]``: the other lr packages ``pkg`` may import at all.
2. ``RESTRICTED_LR_IMPORTS[pkg][other]``: modules of ``pkg`` (fnmatch patterns on the dotted
   module name) that alone may import ``other`` — optional extras such as lr-robots' recording.
3. ``TORCH_MODULES[pkg]``: modules of ``pkg`` that may import torch; an empty tuple means the
   package is torch-free.
4. The graph of distribution imports has no cycle.
5. Inside each distribution, the graph of module imports has no cycle. Every import counts,
   function-local ones included (a local import that dodges a circle is still a circle); only
   ``if TYPE_CHECKING:`` imports are left out. ``from pkg import name`` counts as an import of the
   module that the package's ``_EXPORTS`` (lr_core.lazy) names for ``name``.
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGES = REPO / "packages"

ALLOWED_LR_IMPORTS: dict[str, set[str]] = {
    "lr_core": set(),
    "lr_motors": {"lr_core"},
    "lr_robots": {"lr_core", "lr_motors", "lr_dataset"},
    "lr_dataset": {"lr_core"},
    "lr_policies": {"lr_core", "lr_dataset"},
    "lr_inference": {"lr_core", "lr_policies"},
    "lr_sim": {"lr_core", "lr_dataset", "lr_policies"},
}

RESTRICTED_LR_IMPORTS: dict[str, dict[str, tuple[str, ...]]] = {
    # lr-robots records datasets only through its optional `dataset` extra.
    "lr_robots": {"lr_dataset": ("lr_robots.record*", "lr_robots.replay*")},
    # the robot client must stay torch-free: only the server side uses lr-policies.
    "lr_inference": {"lr_policies": ("lr_inference.server*",)},
    # lr-sim records and trains only through its optional extras.
    "lr_sim": {
        "lr_dataset": ("lr_sim.record*", "lr_sim.quickstart*", "lr_sim.commands*"),
        "lr_policies": ("lr_sim.quickstart*",),
    },
}

TORCH_MODULES: dict[str, tuple[str, ...]] = {
    # `lr info` reports torch/CUDA when torch happens to be installed; nothing else may touch it.
    "lr_core": ("lr_core.info",),
    "lr_motors": (),
    "lr_robots": (),
    "lr_dataset": ("lr_dataset.torch*", "lr_dataset.*.torch*"),
    "lr_policies": ("lr_policies*",),
    "lr_inference": ("lr_inference.server*",),
    "lr_sim": ("lr_sim.quickstart*",),
}

TORCH_FAMILY = {"torch", "torchvision", "torchaudio", "torchcodec"}


@dataclass(frozen=True)
class Violation:
    """One import that breaks a rule."""

    path: Path
    line: int
    module: str
    imported: str
    rule: str

    def __str__(self) -> str:
        rel = self.path.relative_to(REPO)
        return f"{rel}:{self.line}: {self.module} imports {self.imported}: {self.rule}"


def module_name(package: str, path: Path, src: Path) -> str:
    """Dotted module name of ``path`` inside ``src``."""
    parts = list(path.relative_to(src).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts) or package


def imported_modules(tree: ast.AST) -> list[tuple[int, str]]:
    """``(line, dotted name)`` of every absolute import anywhere in the module."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.append((node.lineno, node.args[0].value))
    return found


def check() -> tuple[list[Violation], dict[str, set[str]]]:
    """All violations, and the observed distribution import graph."""
    violations: list[Violation] = []
    graph: dict[str, set[str]] = {pkg: set() for pkg in ALLOWED_LR_IMPORTS}
    for package in ALLOWED_LR_IMPORTS:
        src = PACKAGES / package.replace("_", "-") / "src"
        for path in sorted((src / package).rglob("*.py")):
            module = module_name(package, path, src)
            tree = ast.parse(path.read_text(), filename=str(path))
            for line, name in imported_modules(tree):
                top = name.split(".")[0]
                if top.startswith("lr_") and top != package:
                    if top not in ALLOWED_LR_IMPORTS:
                        continue  # a third-party plugin, e.g. in a test fixture
                    graph[package].add(top)
                    if top not in ALLOWED_LR_IMPORTS[package]:
                        violations.append(
                            Violation(path, line, module, name, f"{package} may not import {top}")
                        )
                        continue
                    patterns = RESTRICTED_LR_IMPORTS.get(package, {}).get(top)
                    if patterns is not None and not any(fnmatch(module, p) for p in patterns):
                        violations.append(
                            Violation(
                                path,
                                line,
                                module,
                                name,
                                f"only {', '.join(patterns)} may import {top}",
                            )
                        )
                if top in TORCH_FAMILY:
                    allowed = TORCH_MODULES[package]
                    if not any(fnmatch(module, p) for p in allowed):
                        rule = (
                            f"{package} is torch-free"
                            if not allowed
                            else f"only {', '.join(allowed)} may import torch"
                        )
                        violations.append(Violation(path, line, module, name, rule))
    return violations, graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A cycle in ``graph`` as a list of nodes, or ``None``."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def _runtime_imports(tree: ast.Module) -> list[tuple[int, str, list[str]]]:
    """``(line, module, imported names)`` of every import not guarded by ``TYPE_CHECKING``."""
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped |= {id(n) for stmt in node.body for n in ast.walk(stmt)}
    found: list[tuple[int, str, list[str]]] = []
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module, [a.name for a in node.names]))
        elif isinstance(node, ast.Call) and not isinstance(node, ast.Import | ast.ImportFrom):
            # importlib.import_module("a.b"): imported_modules knows the call's shape
            found += [(line, name, []) for line, name in imported_modules(node)]
    return found


def _lazy_exports(path: Path) -> dict[str, str]:
    """A package ``__init__``'s ``_EXPORTS`` table (name -> module), read without importing it."""
    for node in ast.parse(path.read_text()).body:
        target = node.target if isinstance(node, ast.AnnAssign) else None
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
        if isinstance(target, ast.Name) and target.id == "_EXPORTS" and node.value is not None:
            try:
                value = ast.literal_eval(node.value)
            except ValueError:
                return {}
            return value if isinstance(value, dict) else {}
    return {}


def module_graph(package: str) -> dict[str, set[str]]:
    """Runtime import edges between the modules of one distribution (rule 5)."""
    src = PACKAGES / package.replace("_", "-") / "src"
    paths = {module_name(package, p, src): p for p in sorted((src / package).rglob("*.py"))}
    exports = {m: _lazy_exports(p) for m, p in paths.items() if p.name == "__init__.py"}
    graph: dict[str, set[str]] = {m: set() for m in paths}
    for module, path in paths.items():
        for _, name, names in _runtime_imports(ast.parse(path.read_text(), filename=str(path))):
            targets = [f"{name}.{n}" for n in names if f"{name}.{n}" in paths]
            targets += [exports[name][n] for n in names if n in exports.get(name, {})]
            if not targets and name in paths:
                targets = [name]
            for target in targets:
                # importing a module runs its parent packages' (lazy) __init__ files: not an edge
                if target != module and not module.startswith(f"{target}."):
                    graph[module].add(target)
    return graph


def module_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected set of two or more modules (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return cycles


def main() -> int:
    """Print violations and cycles; return 1 if there are any."""
    violations, graph = check()
    for violation in violations:
        print(violation)
    cycle = find_cycle(graph)
    if cycle:
        print("import cycle between distributions: " + " -> ".join(cycle))
    inner = [c for package in ALLOWED_LR_IMPORTS for c in module_cycles(module_graph(package))]
    for component in inner:
        print("import cycle inside a distribution: " + " <-> ".join(component))
    if violations or cycle or inner:
        return 1
    edges = ", ".join(f"{a} -> {b}" for a in sorted(graph) for b in sorted(graph[a]))
    print(f"layering OK ({edges or 'no cross-package imports'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
