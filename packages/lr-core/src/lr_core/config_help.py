"""``--help`` for commands built on :func:`lr_core.config.parse_cli`: every flag with its type,
the first line of its description and its real default.

A field's description is a ``Field(description=...)``, else its docstring (the string literal
under it, read from the class's source only when help is shown, so that importing configs stays
fast), else the line that documents it in its class docstring (``- ``name``: ...``). Defaults
are the values the command would run with: the field's default (a default factory is called),
the default instance of the section it sits in (a preset env or policy), the command's built-in
defaults and a ``--config_path`` file. reST markup (``code``, :class:`~a.B`) is shown as plain
text.
"""

from __future__ import annotations

import ast
import functools
import inspect
import itertools
import json
import re
import shutil
import textwrap
import types
from collections.abc import Mapping
from enum import Enum
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from lr_core.merge import deep_merge

_MISSING = object()
_ROLE = re.compile(r":[a-z]+:`~?([^`]+)`")
_LITERAL = re.compile(r"``([^`]+)``")


def plain(text: str) -> str:
    """``text`` without reST markup: ``x`` → x, :class:`~a.b.C` → C, :func:`f` → f."""
    text = _ROLE.sub(
        lambda m: m.group(1).rpartition(".")[2] if "~" in m.group(0) else m.group(1), text
    )
    return _LITERAL.sub(r"\1", text).replace("`", "")


def first_line(text: str | None) -> str:
    """The first sentence-line of a description, without markup."""
    if not text:
        return ""
    paragraph = text.strip().split("\n\n")[0]
    return plain(" ".join(line.strip() for line in paragraph.splitlines()))


def field_description(cls: type[BaseModel], name: str) -> str:
    """What documents field ``name`` of ``cls`` (see the module docstring), first line only:
    its docstring or description, else that of the same field in a base class, else the
    sentence of a class docstring that introduces it (``- ``name``: ...`` or ``name``: ...)."""
    for klass in cls.__mro__:
        fields = getattr(klass, "model_fields", None) or {}
        if name in fields and fields[name].description:
            return first_line(fields[name].description)
        doc = (
            attribute_docstrings(klass).get(name)
            if name in vars(klass).get("__annotations__", {})
            else None
        )
        if doc:
            return first_line(doc)
    pattern = re.compile(rf"``{re.escape(name)}``(?:\s*/\s*``\w+``)*\s*[:—]\s*(.+)", re.DOTALL)
    for klass in cls.__mro__:
        doc = " ".join(line.strip() for line in (getattr(klass, "__doc__", None) or "").split())
        match = pattern.search(doc)
        if match:
            return plain(_first_clause(match.group(1)).strip().rstrip(".")) + "."
    return ""


_CLAUSE_END = re.compile(r";\s|\.\s|\s-\s``|\s``\w+``:")


def _first_clause(text: str) -> str:
    """``text`` up to the end of its first clause (``; ``, ``. ``, the next ``- ``name````
    item) that is outside parentheses, so that "(LeRobot's default 30; null: ...)" stays
    whole."""
    for match in _CLAUSE_END.finditer(text):
        head = text[: match.start()]
        if head.count("(") <= head.count(")"):
            return head
    return text


@functools.cache
def attribute_docstrings(cls: type) -> dict[str, str]:
    """``{field: docstring}`` for the string literals written under annotated attributes in
    the body of ``cls`` (empty when its source is not available)."""
    try:
        source = textwrap.dedent(inspect.getsource(cls))
    except (OSError, TypeError):
        return {}
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return {}
    body = next((n.body for n in tree.body if isinstance(n, ast.ClassDef)), [])
    out: dict[str, str] = {}
    for node, after in itertools.pairwise(body):
        if (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and isinstance(after, ast.Expr)
            and isinstance(after.value, ast.Constant)
            and isinstance(after.value.value, str)
        ):
            out[node.target.id] = inspect.cleandoc(after.value.value)
    return out


def type_name(annotation: Any) -> str:
    """How a flag's value is written: INT, FLOAT, BOOL, STR, PATH, {a,b}, LIST, JSON."""
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        members = [a for a in get_args(annotation) if a is not type(None)]
        return " | ".join(type_name(m) for m in members) if members else "null"
    if origin is Literal:
        return "{" + ",".join(str(a) for a in get_args(annotation)) + "}"
    if origin in (list, tuple, set, frozenset):
        return "LIST"
    if origin in (dict, Mapping):
        return "JSON"
    if isinstance(annotation, type):
        if issubclass(annotation, bool):
            return "BOOL"
        if issubclass(annotation, Enum):
            return "{" + ",".join(str(m.value) for m in annotation) + "}"
        if issubclass(annotation, int):
            return "INT"
        if issubclass(annotation, float):
            return "FLOAT"
        if issubclass(annotation, Path):
            return "PATH"
        if issubclass(annotation, str):
            return "STR"
        if issubclass(annotation, BaseModel):
            return "JSON"
    return "VALUE"


def field_default(cls: type[BaseModel], name: str) -> Any:
    """The field's default value (a default factory is called), or a marker when required."""
    field = cls.model_fields[name]
    if field.default is not PydanticUndefined:
        return field.default
    if field.default_factory is not None:
        try:
            return field.default_factory()  # type: ignore[call-arg]
        except TypeError:
            return _MISSING
    return _MISSING


def show(value: Any) -> str:
    """A default as the user would type it."""
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json", serialize_as_any=True)
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (str, Path)):
        return str(value) if str(value) else "''"
    if isinstance(value, tuple):
        value = list(value)
    try:
        return json.dumps(value, default=_json_default)
    except TypeError:
        return str(value)


def _json_default(value: Any) -> Any:
    """JSON for what :func:`json.dumps` cannot write itself: a config inside a mapping or
    list (``{"front": AVCameraConfig(...)}``) as the JSON a user would type, the rest as text."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", serialize_as_any=True)
    if isinstance(value, Enum):
        return value.value
    return str(value)


def render_help(
    cls: type[BaseModel],
    *,
    prog: str,
    values: Mapping[str, Any],
    unselected: Mapping[str, list[str]],
    extra_flags: Mapping[str, str] | None = None,
) -> str:
    """The help page of ``cls`` (already narrowed to the selected plugin types).

    ``values`` are the defaults from outside the classes (built-in defaults, a config file)
    as a nested dict; ``unselected`` maps a plugin section (``policy``) to the types that
    could be chosen for it; ``extra_flags`` are flags a command reads itself (name -> help).
    """
    width = min(shutil.get_terminal_size((100, 24)).columns, 120)
    intro = next(
        (first_line(k.__doc__) for k in cls.__mro__ if k.__doc__ and k is not BaseModel), ""
    )
    lines = [f"usage: {prog} [--flag=value ...] [--config_path=FILE]", ""]
    if intro:
        lines += [*textwrap.wrap(intro, width), ""]
    sections: list[tuple[str, list[tuple[str, str]]]] = []
    _collect(cls, "", values, sections, unselected)
    if extra_flags:
        sections[0][1].extend((f"--{k}", v) for k, v in extra_flags.items())
    for title, rows in sections:
        if not rows:
            continue
        lines.append(f"{title}:")
        for flag, text in rows:
            lines.extend(_row(flag, text, width))
        lines.append("")
    lines += textwrap.wrap(
        "Flags set fields with dotted names (--policy.chunk_size=50); lists and mappings are "
        "JSON (--x='[1, 2]'); --config_path=FILE (JSON or YAML) gives base values for any of "
        "them. Pick a plugin with --<section>.type=NAME, then --help lists its options.",
        width,
    )
    return "\n".join(lines) + "\n"


def _row(flag: str, text: str, width: int) -> list[str]:
    column = 34
    head = f"  {flag}"
    body = textwrap.wrap(text, max(width - column - 2, 30), break_on_hyphens=False) or [""]
    if len(head) + 2 > column:
        return [head, *[" " * column + b for b in body]]
    return [head.ljust(column) + body[0], *[" " * column + b for b in body[1:]]]


def _collect(
    cls: type[BaseModel],
    prefix: str,
    values: Mapping[str, Any],
    sections: list[tuple[str, list[tuple[str, str]]]],
    unselected: Mapping[str, list[str]],
) -> None:
    title = f"{prefix.rstrip('.')} options" if prefix else "options"
    rows: list[tuple[str, str]] = []
    sections.append((title, rows))
    nested: list[tuple[str, type[BaseModel], Mapping[str, Any]]] = []
    for name, field in cls.model_fields.items():
        annotation = field.annotation
        optional = False
        if get_origin(annotation) in (Union, types.UnionType):
            members = [a for a in get_args(annotation) if a is not type(None)]
            if len(members) == 1:
                annotation, optional = members[0], True
        given = values.get(name, _MISSING) if isinstance(values, Mapping) else _MISSING
        use_field = given is _MISSING or isinstance(given, Mapping)
        default = field_default(cls, name) if use_field else given
        description = field_description(cls, name)
        path = f"{prefix}{name}"
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            sub_values: dict[str, Any] = {}
            if isinstance(default, BaseModel):
                sub_values = default.model_dump(mode="json", serialize_as_any=True)
            if isinstance(given, Mapping):
                sub_values = deep_merge(sub_values, given)
                default = sub_values
            if _is_plugin(annotation) and annotation.own_type() is None:  # type: ignore[attr-defined]
                types_ = unselected.get(path) or annotation.available_types()
                description = description or f"Which {name} to use: one of the types listed."
                state = "required; " if default is _MISSING else ""
                if default is not _MISSING and not (default is None and "default" in description):
                    state = f"default: {show(default)}; "
                rows.append(
                    (
                        f"--{path}.type={{{','.join(types_)}}}",
                        f"{description} ({state}add --{path}.type=NAME --help for its options)",
                    )
                )
                continue
            if optional and default is None:
                description = f"{description} (default: none; set any --{path}.* to use it)"
                rows.append((f"--{path}", description.strip()))
            nested.append((path, annotation, sub_values))
            continue
        if name == "type" and _is_plugin(cls):
            text = f"{description or 'the ' + prefix.rstrip('.') + ' type'} (selected)"
            rows.append((f"--{path}={show(default)}", text))
            continue
        flag = f"--{path}={type_name(field.annotation)}"
        if default is _MISSING:
            text = f"{description} (required)"
        elif default is None and "default" in description:
            text = description  # it says what null means
        else:
            text = f"{description} (default: {show(default)})"
        rows.append((flag, text.strip()))
    for path, annotation, sub_values in nested:
        _collect(annotation, f"{path}.", sub_values, sections, unselected)


def _is_plugin(cls: type) -> bool:
    """Whether ``cls`` is a :class:`lr_core.config.PluginConfig` (a section chosen by ``type``),
    told from its bases so that this module need not import :mod:`lr_core.config`, which
    imports it."""
    return any(
        base.__name__ == "PluginConfig" and base.__module__ == "lr_core.config"
        for base in getattr(cls, "__mro__", ())
    )
