"""Typed configuration: pydantic models loaded from JSON/YAML files and dotted CLI flags.

Every run is described by an :class:`LrConfig` (pydantic, ``extra="forbid"``). A command turns
its arguments into one with :func:`parse_cli`::

    lr train --config_path=run.yaml --policy.type=act --dataset.repo_id=user/name --steps=1000

1. ``--config_path`` (JSON or YAML) gives the base values;
2. ``--a.b.type=name`` picks a plugin config subclass through the registry (:class:`PluginConfig`);
3. every other ``--a.b.c=value`` flag overrides one field. Parsing the flags is pydantic-settings'
   CLI source; ``--help`` lists every field of the selected classes with its description (the
   field's docstring) and its real default (:mod:`lr_core.config_help`);
4. pydantic validates the merged values. Errors name the bad key and list the valid ones.

A config class may accept other spellings of its fields (``aliases``: LeRobot's names) and name
options it knows but does not implement (``unsupported``: refused with the reason, instead of
"unknown option"). Integer lists take JSON (``'[0, 2]'``) or ranges (``0,2,5-9``).

The resolved config is written next to a run's outputs (:meth:`LrConfig.save`), and loads back
with :meth:`LrConfig.load`.
"""

from __future__ import annotations

import argparse
import difflib
import json
import re
import types
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, ClassVar, NoReturn, Self, TypeVar, Union, get_args, get_origin

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    ValidationError,
    create_model,
    model_validator,
)

from lr_core import registry
from lr_core.errors import ConfigError, PluginError, require
from lr_core.fileio import atomic_write_text
from lr_core.merge import deep_merge


class LrConfig(BaseModel):
    """Base of every lr configuration model: unknown keys are errors.

    Document each field with a docstring under it (shown by ``--help``). ``aliases`` maps other
    accepted names to fields (``{"eval_freq": "env_eval_freq"}``); ``unsupported`` maps options
    this class knows but lr does not implement to the reason, which is what the user sees.
    """

    model_config = ConfigDict(extra="forbid", protected_namespaces=())

    aliases: ClassVar[dict[str, str]] = {}
    unsupported: ClassVar[dict[str, str]] = {}

    @model_validator(mode="before")
    @classmethod
    def _other_names(cls, data: Any) -> Any:
        if not isinstance(data, Mapping) or not (cls.aliases or cls.unsupported):
            return data
        out = dict(data)
        for key in list(out):
            if key in cls.unsupported and key not in cls.model_fields:
                raise ValueError(f"{key}: not supported by lr: {cls.unsupported[key]}")
            target = cls.aliases.get(key)
            if target is not None and key not in cls.model_fields:
                value = out.pop(key)
                out.setdefault(target, value)
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready values, including the fields of plugin subclasses."""
        return self.model_dump(mode="json", serialize_as_any=True)

    def save(self, path: str | Path) -> None:
        """Write the config as JSON (indent 4) atomically."""
        atomic_write_text(Path(path), json.dumps(self.to_dict(), indent=4) + "\n")

    @classmethod
    def load(cls, path: str | Path, overrides: Sequence[str] = ()) -> Self:
        """Load from a JSON or YAML file, then apply dotted ``--key=value`` overrides."""
        return parse_cli(cls, ["--config_path", str(path), *overrides])

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "config") -> Self:
        """Validate a plain dict; errors are :class:`ConfigError` naming each bad key."""
        try:
            return cls.model_validate(dict(data))
        except ValidationError as exc:
            raise ConfigError(format_validation_error(cls, exc, source, data)) from None


class PluginConfig(LrConfig):
    """A config whose ``type`` selects a registered subclass (a robot, a policy, an env...).

    A family base sets ``registry_group``; each concrete subclass pins ``type`` with a
    ``Literal`` default, is registered under that name in the group, and names its
    implementation lazily::

        class RobotConfig(PluginConfig):
            registry_group: ClassVar[str] = "lr.robots"

        class SO101FollowerConfig(RobotConfig):
            type: Literal["so101_follower"] = "so101_follower"
            implementation: ClassVar[str] = "lr_robots.so101.follower:SO101Follower"

    Validating a family base with ``{"type": "so101_follower", ...}`` yields the subclass.
    """

    registry_group: ClassVar[str | None] = None
    implementation: ClassVar[str | None] = None

    type: str

    @model_validator(mode="wrap")
    @classmethod
    def _dispatch_on_type(cls, data: Any, handler: Any) -> Any:
        if isinstance(data, Mapping) and isinstance(data.get("type"), str):
            try:
                target = cls.for_type(data["type"])
            except PluginError as exc:
                raise ValueError(str(exc)) from None
            if target is not cls:
                return target.model_validate(data)
        return handler(data)

    @classmethod
    def own_type(cls) -> str | None:
        """The ``type`` this class pins (its ``Literal`` default), or ``None`` for a base."""
        default = cls.model_fields["type"].default
        return default if isinstance(default, str) else None

    @classmethod
    def for_type(cls, name: str) -> type[Self]:
        """The registered subclass of this family called ``name``."""
        if cls.own_type() == name:
            return cls
        if cls.registry_group is None:
            raise PluginError(f"{cls.__name__} has no registry group to look up {name!r} in")
        target = registry.load(cls.registry_group, name)
        if not (isinstance(target, type) and issubclass(target, cls)):
            raise PluginError(
                f"{cls.registry_group} entry {name!r} is {target!r}, "
                f"which is not a subclass of {cls.__name__}"
            )
        return target

    @classmethod
    def available_types(cls) -> list[str]:
        """Names registered in this family's group (imports nothing)."""
        return registry.names(cls.registry_group) if cls.registry_group else []

    @classmethod
    def implementation_class(cls) -> type:
        """Import and return the class this config builds (``implementation``)."""
        if not cls.implementation:
            raise PluginError(f"{cls.__name__} does not name an implementation class")
        return registry.load_object(cls.implementation)


# --------------------------------------------------------------------------- values


def parse_index_list(value: Any) -> Any:
    """Indices from any of the spellings a command line gives them: ``"0,2,5-9"`` (ranges
    inclusive), ``"[0, 2]"`` (JSON, as LeRobot's flags take lists), a single ``3``, or a list
    whose items are any of those (repeated ``--x 1 --x 4`` flags). Other values are returned
    unchanged for pydantic to judge.

    Raises ``ValueError`` naming the item that is neither an index nor a ``lo-hi`` range.
    """
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                value = json.loads(text)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{value!r} is not a JSON list of indices: {exc}") from None
        else:
            value = [part for part in text.split(",") if part.strip()]
    if isinstance(value, int) and not isinstance(value, bool):
        return [value]
    if not isinstance(value, (list, tuple)):
        return value
    out: list[Any] = []
    for item in value:
        if isinstance(item, str) and "," in item:
            out.extend(parse_index_list(item))
            continue
        match = (
            re.fullmatch(r"\s*(-?\d+)\s*-\s*(-?\d+)\s*", item) if isinstance(item, str) else None
        )
        if match:
            lo, hi = int(match[1]), int(match[2])
            if hi < lo:
                raise ValueError(f"range {item!r} is empty: write it low-high, e.g. '5-9'")
            out.extend(range(lo, hi + 1))
        elif isinstance(item, str):
            if not re.fullmatch(r"\s*-?\d+\s*", item):
                raise ValueError(
                    f"{item!r} is neither an index nor a range: use '0,2,5-9' or '[0, 2, 5]'"
                )
            out.append(int(item))
        else:
            out.append(item)
    return out


#: A list of indices accepting ``0,2,5-9``, ``'[0, 2]'`` and repeated flags (see
#: :func:`parse_index_list`); for ``--episodes``-like fields of every command.
IndexList = Annotated[list[int], BeforeValidator(parse_index_list)]


# --------------------------------------------------------------------------- files


def read_config_file(path: str | Path) -> dict[str, Any]:
    """Read a JSON (``.json``) or YAML (``.yaml``/``.yml``) config file into a dict."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc}") from exc
    try:
        if path.suffix.lower() in (".yaml", ".yml"):
            yaml: Any = require("yaml", "yaml", "lr-core")
            data = yaml.safe_load(text)
        else:
            data = json.loads(text)
    except ConfigError:
        raise
    except Exception as exc:
        raise ConfigError(f"config file {path} cannot be parsed: {exc}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"config file {path} must hold a mapping at the top level")
    return data


# --------------------------------------------------------------------------- command line

C = TypeVar("C", bound=LrConfig)

_FLAG = re.compile(r"^--([A-Za-z_][\w.]*)(?:=(.*))?$", re.DOTALL)


def parse_cli(
    cls: type[C],
    args: Sequence[str],
    *,
    prog: str | None = None,
    defaults: Mapping[str, Any] | None = None,
    extra_help: Mapping[str, str] | None = None,
) -> C:
    """Build ``cls`` from command-line ``args`` (see the module docstring).

    ``defaults`` are base values beneath the config file and the flags (a command's built-in
    run, e.g. a preset policy whose fields ``--policy.x=…`` then adjust). ``--help`` prints the
    flags of the selected classes with their descriptions and defaults, then exits (as
    argparse does); ``extra_help`` documents flags the command reads itself (name -> text).
    """
    args = list(args)
    base: dict[str, Any] = dict(defaults or {})
    config_path, args = _pop_flag(args, "config_path")
    if config_path is not None:
        base = deep_merge(base, read_config_file(config_path))

    selections = _type_selections(args)
    merged_types = deep_merge(_types_in(base), selections)
    shaped = _specialise(cls, merged_types)
    if any(a in ("-h", "--help") for a in args):
        from lr_core.config_help import render_help

        page = render_help(
            shaped, prog=prog or cls.__name__, values=base, unselected={}, extra_flags=extra_help
        )
        print(page, end="")
        raise SystemExit(0)

    args = _rewrite_flags(shaped, args, prog)
    cli_values = _parse_flags(shaped, args, prog)
    merged = deep_merge(base, cli_values)
    try:
        return cls.model_validate(merged)
    except ValidationError as exc:
        source = f"config file {config_path} and flags" if config_path else "flags"
        raise ConfigError(format_validation_error(cls, exc, source, merged)) from None


def _is_int_list(annotation: Any) -> bool:
    annotation, _ = _unwrap_optional(annotation)
    if get_origin(annotation) not in (list, tuple):
        return False
    members = [_strip_annotated(a) for a in get_args(annotation) if a is not Ellipsis]
    return bool(members) and all(
        isinstance(a, type) and issubclass(a, int) and not issubclass(a, bool) for a in members
    )


def _strip_annotated(annotation: Any) -> Any:
    return get_args(annotation)[0] if get_origin(annotation) is Annotated else annotation


def _rewrite_flags(cls: type[BaseModel], args: list[str], prog: str | None) -> list[str]:
    """Flags as the parser takes them: other spellings (``aliases``) renamed, options lr does
    not implement (``unsupported``) refused with the reason, integer lists as JSON."""
    out: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        match = _FLAG.match(arg)
        if not match:
            out.append(arg)
            i += 1
            continue
        key, value = match.group(1), match.group(2)
        if value is None and i + 1 < len(args) and not args[i + 1].startswith("--"):
            value, i = args[i + 1], i + 1
        i += 1
        key, annotation = _resolve_flag(cls, key, prog)
        if (
            value is not None
            and annotation is not None
            and _is_int_list(annotation)
            and not value.strip().startswith("[")
            and value.strip() not in ("null", "None")
        ):
            try:
                value = json.dumps(parse_index_list(value))
            except ValueError as exc:
                raise ConfigError(f"--{key}: {exc}") from None
        out.append(f"--{key}" if value is None else f"--{key}={value}")
    return out


def _resolve_flag(cls: type[BaseModel], key: str, prog: str | None) -> tuple[str, Any]:
    """``key`` with aliases applied, and the annotation of the field it sets (``None`` when
    it names no field: the parser reports it)."""
    node: type[BaseModel] | None = cls
    parts = key.split(".")
    done: list[str] = []
    annotation: Any = None
    for index, part in enumerate(parts):
        if node is None:
            done.extend(parts[index:])
            return ".".join(done), None
        if part not in node.model_fields:
            aliases = getattr(node, "aliases", {})
            unsupported = getattr(node, "unsupported", {})
            if part in unsupported:
                where = ".".join([*done, part])
                raise ConfigError(
                    f"--{where}: {prog or 'this command'} does not do this (a LeRobot option): "
                    f"{unsupported[part]}"
                )
            if part in aliases:
                part = aliases[part]
        done.append(part)
        field = node.model_fields.get(part)
        if field is None:
            done.extend(parts[index + 1 :])
            return ".".join(done), None
        annotation = field.annotation
        inner, _ = _unwrap_optional(annotation)
        node = inner if isinstance(inner, type) and issubclass(inner, BaseModel) else None
    return ".".join(done), annotation


def _pop_flag(args: list[str], name: str) -> tuple[str | None, list[str]]:
    value, rest, i = None, [], 0
    while i < len(args):
        arg = args[i]
        if arg == f"--{name}" and i + 1 < len(args):
            value, i = args[i + 1], i + 2
            continue
        if arg.startswith(f"--{name}="):
            value = arg.split("=", 1)[1]
        else:
            rest.append(arg)
        i += 1
    return value, rest


def _type_selections(args: Sequence[str]) -> dict[str, Any]:
    """``--policy.type=act`` / ``--policy.type act`` → ``{"policy": {"type": "act"}}``."""
    out: dict[str, Any] = {}
    for i, arg in enumerate(args):
        match = _FLAG.match(arg)
        if not match or not match.group(1).endswith(".type"):
            continue
        value = match.group(2)
        if value is None and i + 1 < len(args):
            value = args[i + 1]
        if value is None:
            continue
        node = out
        *path, _ = match.group(1).split(".")
        for part in path:
            node = node.setdefault(part, {})
        node["type"] = value
    return out


def _types_in(data: Mapping[str, Any]) -> dict[str, Any]:
    """The ``type`` keys of a nested config dict, keeping only the path to them."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key == "type" and isinstance(value, str):
            out["type"] = value
        elif isinstance(value, Mapping):
            sub = _types_in(value)
            if sub:
                out[key] = sub
    return out


def _unwrap_optional(annotation: Any) -> tuple[Any, bool]:
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        members = [a for a in get_args(annotation) if a is not type(None)]
        if len(members) == 1:
            return members[0], True
    return annotation, False


def _specialise(cls: type[BaseModel], selections: Mapping[str, Any]) -> type[BaseModel]:
    """A subclass of ``cls`` whose plugin fields are narrowed to the selected types.

    Only used to build the flag parser, so that ``--policy.dim_model`` exists once
    ``--policy.type=act`` is given.
    """
    new_fields: dict[str, Any] = {}
    for name, field in cls.model_fields.items():
        annotation, optional = _unwrap_optional(field.annotation)
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            continue
        sub = selections.get(name) or {}
        target: type[BaseModel] = annotation
        if issubclass(annotation, PluginConfig):
            wanted = sub.get("type")
            if wanted is None and isinstance(field.default, PluginConfig):
                target = type(field.default)
            elif wanted is not None:
                try:
                    target = annotation.for_type(wanted)
                except PluginError as exc:
                    raise ConfigError(f"--{name}.type: {exc}") from None
        narrowed = _specialise(target, sub)
        if narrowed is not annotation:
            new_fields[name] = (narrowed | None if optional else narrowed, field)
    if not new_fields:
        return cls
    return create_model(cls.__name__, __base__=cls, **new_fields)


def _flag_names(cls: type[BaseModel], prefix: str = "") -> list[str]:
    out: list[str] = []
    for name, field in cls.model_fields.items():
        annotation, _ = _unwrap_optional(field.annotation)
        out.append(prefix + name)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            out.extend(_flag_names(annotation, prefix + name + "."))
    return out


def _parse_flags(cls: type[BaseModel], args: list[str], prog: str | None) -> dict[str, Any]:
    from pydantic_settings import BaseSettings, CliSettingsSource, SettingsConfigDict
    from pydantic_settings.exceptions import SettingsError

    settings_cls = type(
        cls.__name__,
        (BaseSettings, cls),
        {
            "__module__": cls.__module__,
            "__doc__": cls.__doc__,
            "model_config": SettingsConfigDict(extra="forbid", protected_namespaces=()),
        },
    )
    parser = _RaisingParser(
        prog=prog,
        allow_abbrev=False,
        description=(cls.__doc__ or "").strip().split("\n\n")[0] or None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Values may also come from a JSON/YAML file: --config_path=FILE. "
        "Lists and mappings are given as JSON: --x='[1, 2]'.",
    )
    try:
        source = CliSettingsSource(
            settings_cls,
            cli_parse_args=args,
            cli_exit_on_error=False,
            cli_enforce_required=False,
            cli_implicit_flags=False,
            cli_hide_none_type=True,
            root_parser=parser,
        )
        return source()
    except (SettingsError, _FlagError) as exc:
        raise ConfigError(_explain_cli_error(cls, str(exc))) from None


class _FlagError(Exception):
    pass


class _RaisingParser(argparse.ArgumentParser):
    """argparse that raises instead of exiting, so errors can name the valid keys."""

    def error(self, message: str) -> NoReturn:
        raise _FlagError(message)


def _explain_cli_error(cls: type[BaseModel], message: str) -> str:
    match = re.search(r"unrecognized arguments: (.*)$", message)
    if not match:
        return message.replace("error parsing CLI: ", "")
    valid = _flag_names(cls)
    lines = []
    for token in match.group(1).split():
        flag = _FLAG.match(token)
        if not flag:
            lines.append(f"unexpected argument {token!r}")
            continue
        key = flag.group(1)
        parent, _, _leaf = key.rpartition(".")
        siblings = [v for v in valid if v.rpartition(".")[0] == parent]
        close = difflib.get_close_matches(key, valid, n=3)
        hint = f" Did you mean {', '.join('--' + c for c in close)}?" if close else ""
        where = f"under --{parent}" if parent else "at the top level"
        lines.append(
            f"unknown option --{key}.{hint} Valid keys {where}: "
            + ", ".join(s.rpartition(".")[2] for s in siblings)
        )
    return "\n".join(lines)


def format_validation_error(
    cls: type[BaseModel], exc: ValidationError, source: str, data: Mapping[str, Any] | None = None
) -> str:
    """Render a pydantic error as one line per bad key, listing valid keys for unknown ones."""
    lines = [f"invalid {cls.__name__} ({source}):"]
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"] if not str(p).startswith("function-wrap"))
        if err["type"] == "extra_forbidden":
            parent, _, leaf = loc.rpartition(".")
            valid = _valid_keys_at(cls, parent, data or {})
            close = difflib.get_close_matches(leaf, valid, n=3)
            hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
            lines.append(f"  {loc}: unknown key.{hint} Valid keys: {', '.join(valid)}")
        else:
            got = err.get("input")
            shown = "" if isinstance(got, dict) else f" (got {got!r})"
            message = err["msg"].removeprefix("Value error, ")
            lines.append(f"  {loc or '<root>'}: {message}{shown}")
    return "\n".join(lines)


def _valid_keys_at(cls: type[BaseModel], dotted: str, data: Mapping[str, Any]) -> list[str]:
    node: type[BaseModel] = cls
    for part in filter(None, dotted.split(".")):
        if part not in node.model_fields:
            return []
        annotation, _ = _unwrap_optional(node.model_fields[part].annotation)
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return []
        data = data.get(part) if isinstance(data.get(part), Mapping) else {}
        node = annotation
        if issubclass(node, PluginConfig) and isinstance(data.get("type"), str):
            try:
                node = node.for_type(data["type"])
            except PluginError:
                pass
    return list(node.model_fields)
