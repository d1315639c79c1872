"""Lazy re-exports for package ``__init__`` files (one helper instead of a copy per package).

A package lists its public names and the module each lives in; a name's module is imported on
first attribute access, so ``import lr_motors`` loads neither pyserial nor torch. Usage::

    from lr_core.lazy import lazy_exports

    _EXPORTS = {"FeetechMotorsBus": "lr_motors.feetech.bus", ...}
    __all__, __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, distribution="lr-motors")

    if TYPE_CHECKING:  # the same names, for type checkers and IDEs
        from lr_motors.feetech.bus import FeetechMotorsBus as FeetechMotorsBus

The ``X as X`` form marks a re-export for type checkers (PEP 484): ``__all__`` is computed at run
time, so without it pyright would call the import unused and, in a package that ships
``py.typed``, refuse ``from lr_motors import FeetechMotorsBus`` in users' code as a private import.

:func:`export_problems` is what each package's exactness test calls: ``__all__`` must equal the
exported names, every name must resolve to an object defined where ``_EXPORTS`` says, and the
``TYPE_CHECKING`` imports must name exactly the same objects.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["export_problems", "lazy_exports"]


def lazy_exports(
    package: str,
    exports: Mapping[str, str],
    *,
    distribution: str | None = None,
    resolvers: Mapping[str, Callable[[], Any]] | None = None,
) -> tuple[list[str], Callable[[str], Any], Callable[[], list[str]]]:
    """Build ``(__all__, __getattr__, __dir__)`` for a package that re-exports names lazily.

    Args:
        package: the package's ``__name__``.
        exports: public name -> dotted module that defines it.
        distribution: when given, ``__version__`` resolves to this distribution's version.
        resolvers: names whose value is computed by a zero-argument function on first access
            (for example a torch or numpy flavour chosen at run time).

    Returns:
        ``__all__`` (sorted), a module ``__getattr__`` that imports and caches each name in the
        package's globals, and ``__dir__``.

    Raises (from the returned ``__getattr__``):
        AttributeError: for a name the package does not export.
    """
    extra = dict(resolvers or {})
    names = set(exports) | set(extra)
    if distribution is not None:
        names.add("__version__")
    public = sorted(names)

    def __getattr__(name: str) -> Any:
        if name == "__version__" and distribution is not None:
            from importlib.metadata import version

            return version(distribution)
        if name in extra:
            value = extra[name]()
        else:
            module = exports.get(name)
            if module is None:
                raise AttributeError(f"module {package!r} has no attribute {name!r}")
            value = getattr(importlib.import_module(module), name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return list(public)

    return public, __getattr__, __dir__


def _type_checking_aliases(source: str) -> dict[str, tuple[str, bool]]:
    """Names imported under ``if TYPE_CHECKING:`` -> (their module, imported ``as`` themselves)."""
    import ast  # only the exactness tests parse sources; keep package imports cheap

    found: dict[str, tuple[str, bool]] = {}
    for node in ast.parse(source).body:
        if not isinstance(node, ast.If):
            continue
        test = node.test
        if not (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING"):
            continue
        for stmt in node.body:
            if isinstance(stmt, ast.ImportFrom) and stmt.module:
                for alias in stmt.names:
                    found[alias.asname or alias.name] = (stmt.module, alias.asname == alias.name)
    return found


def export_problems(package: str) -> list[str]:
    """Everything wrong with ``package``'s lazy exports; an empty list means exact.

    Checks that ``__all__`` equals the exported names (``_EXPORTS`` plus resolvers and
    ``__version__``), that each name resolves, that a plain export is defined in (or re-exported
    by) the module ``_EXPORTS`` names, and that the ``TYPE_CHECKING`` block imports every public
    name (except ``__version__``) and nothing else. In a package that ships ``py.typed`` each of
    those imports must be written ``X as X``, the re-export form type checkers honour.
    """
    from pathlib import Path

    module = importlib.import_module(package)
    problems: list[str] = []
    exports: Mapping[str, str] = getattr(module, "_EXPORTS", {})
    public = list(getattr(module, "__all__", []))
    if public != sorted(public):
        problems.append(f"{package}.__all__ is not sorted")
    if len(set(public)) != len(public):
        problems.append(f"{package}.__all__ has duplicates")
    for name in exports:
        if name not in public:
            problems.append(f"{package}: {name!r} is in _EXPORTS but not in __all__")
    for name in public:
        try:
            value = getattr(module, name)
        except Exception as exc:  # report every broken name, not only the first
            problems.append(f"{package}.{name} does not resolve: {type(exc).__name__}: {exc}")
            continue
        if name in exports:
            if exports[name].startswith(f"{package}.") and exports[name].endswith(f".{name}"):
                problems.append(
                    f"{package}.{name} is defined in a module of the same name, which replaces "
                    f"it as the package attribute once the module is imported: rename the module"
                )
            source = importlib.import_module(exports[name])
            if getattr(source, name, None) is not value:
                problems.append(f"{package}.{name} is not {exports[name]}.{name}")
    file = getattr(module, "__file__", None)
    if file:
        aliases = _type_checking_aliases(Path(file).read_text(encoding="utf-8"))
        checked = {name: module for name, (module, _) in aliases.items()}
        if (Path(file).parent / "py.typed").exists():
            for name in sorted(n for n, (_, reexported) in aliases.items() if not reexported):
                problems.append(
                    f"{package}: ships py.typed, so its TYPE_CHECKING import of {name!r} must "
                    f"read `import {name} as {name}` (a re-export for type checkers)"
                )
        wanted = {n for n in public if n != "__version__"}
        for name in sorted(wanted - set(checked)):
            problems.append(f"{package}: {name!r} is missing from the TYPE_CHECKING imports")
        for name in sorted(set(checked) - wanted):
            problems.append(f"{package}: TYPE_CHECKING imports {name!r}, which is not public")
        for name in sorted(wanted & set(checked)):
            if name in exports and checked[name] != exports[name]:
                problems.append(
                    f"{package}: TYPE_CHECKING imports {name!r} from {checked[name]}, "
                    f"_EXPORTS says {exports[name]}"
                )
    return problems
