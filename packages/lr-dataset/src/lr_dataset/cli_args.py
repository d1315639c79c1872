"""What the ``lr dataset`` commands share: argv spellings, which dataset an argument names, and
running a command without a traceback for user input or a closed pipe.

Every ``lr dataset`` command is a typed :class:`lr_core.config.LrConfig` parsed by
:func:`lr_core.config.parse_cli` (dotted ``--key=value`` flags, ``--config_path``, ``--help``),
like every other ``lr`` command. :func:`parse_command` adds the spellings the commands had
before and LeRobot users type: positional arguments (``lr dataset info DATASET``), dashes
(``--repo-id`` is ``--repo_id``), bare boolean flags (``--json`` is ``--json=true``) and a few
aliases (``--no-videos`` is ``--videos=false``).
"""

from __future__ import annotations

import ast
import functools
import json
import os
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, TypeVar, get_args

from pydantic import BeforeValidator

from lr_core.config import LrConfig, parse_cli
from lr_core.errors import ConfigError, LrError

C = TypeVar("C", bound=LrConfig)

#: values a boolean flag may be given as its next argument (``--json true``)
BOOLS = frozenset({"true", "false", "1", "0", "yes", "no", "on", "off"})
#: ``user/name``: what a Hub dataset repo id looks like
REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


def python_literal(value: Any) -> Any:
    """LeRobot's flags take Python literals (``"['a/b', 'a/c']"``, ``"{'train': 0.8}"``), which
    are not JSON: turn such a string (or the pieces a list flag split it into at its commas)
    into the value; anything else is returned for pydantic to judge."""
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        text = ",".join(value).strip()
        if text.startswith(("[", "{")) or any(v.strip()[:1] in "'\"" for v in value):
            value = text if text.startswith(("[", "{")) else f"[{text}]"
        else:
            return value
    if isinstance(value, str) and value.strip().startswith(("[", "{")):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            try:
                return ast.literal_eval(value.strip())
            except (ValueError, SyntaxError) as exc:
                raise ValueError(f"{value!r} is neither JSON nor a Python literal") from exc
    return value


#: a list of strings given as JSON, a Python literal, ``a,b`` or repeated flags
StrList = Annotated[list[str], BeforeValidator(python_literal)]


def _as_json(value: str) -> str:
    """A flag value written as a Python literal (``{'train': 0.8}``, LeRobot's draccus takes
    them) rewritten as JSON, which the flag parser reads; other values unchanged."""
    text = value.strip()
    if not text.startswith(("[", "{")):
        return value
    try:
        json.loads(text)
        return value
    except json.JSONDecodeError:
        pass
    try:
        return json.dumps(ast.literal_eval(text))
    except (ValueError, SyntaxError, TypeError):
        return value  # the parser reports it, naming the flag


def _bool_fields(cls: type[LrConfig]) -> set[str]:
    out = set()
    for name, field in cls.model_fields.items():
        annotation = field.annotation
        if annotation is bool or bool in get_args(annotation):
            out.add(name)
    return out


def parse_command(
    cls: type[C],
    argv: Sequence[str],
    *,
    prog: str,
    positional: str | None = None,
    aliases: Mapping[str, str] | None = None,
) -> C:
    """``cls`` from ``argv``: positional arguments go to the field ``positional`` (a list field
    takes them all), ``--a-b`` is ``--a_b``, a bare boolean ``--flag`` is ``--flag=true``,
    ``aliases`` maps a flag to another field's flag (``"--episode_indices": "--episodes"``) or,
    given bare, to a whole ``--name=value``; the rest is :func:`lr_core.config.parse_cli`."""
    bools = _bool_fields(cls)
    aliases = dict(aliases or {})
    flags: list[str] = []
    values: list[str] = []
    args = list(argv)
    i = 0
    while i < len(args):
        arg = args[i]
        if arg in ("-h", "--help"):
            flags.append("--help")
        elif arg.startswith("--"):
            name, eq, value = arg[2:].partition("=")
            name = name.replace("-", "_") if "." not in name else name
            target = aliases.get(f"--{name}")
            if target is not None and "=" in target:  # a whole flag: --no-videos
                if not eq:
                    flags.append(target)
                    i += 1
                    continue
            elif target is not None:  # another name for the same field
                name = target[2:]
            if (
                not eq
                and name in bools
                and (i + 1 >= len(args) or args[i + 1].lower() not in BOOLS)
            ):
                flags.append(f"--{name}=true")
            elif eq:
                flags.append(f"--{name}={_as_json(value)}")
            else:
                flags.append(f"--{name}")
                if i + 1 < len(args):
                    flags.append(_as_json(args[i + 1]))
                    i += 1
        else:
            values.append(arg)
        i += 1
    if values:
        if positional is None:
            raise ConfigError(
                f"unexpected argument(s) {values}; every value is given as --key=value "
                f"(see {prog} --help)"
            )
        field = cls.model_fields[positional]
        many = field.annotation is not None and "list" in str(field.annotation)
        if not many and len(values) > 1:
            raise ConfigError(f"one {positional.upper()} expected, got {values}")
        for value in values:
            flags.append(f"--{positional}={value}")
    return parse_cli(cls, flags, prog=prog)


def resolve_dataset(
    dataset: str | None, repo_id: str | None, root: str | None, *, prog: str
) -> tuple[str, Path | None]:
    """``(repo_id, root)`` from a positional ``DATASET`` and the ``--repo_id`` / ``--root`` flags.

    ``DATASET`` is an existing folder, or a repo id ``user/name``
    (``$HF_LEROBOT_HOME/user/name``, else the Hub); anything that looks like a path (``./x``,
    ``a/b/c``, ``/abs``, ``~``) but does not exist is an error saying so, never a repo id.
    ``root`` ``None`` means "by repo id".
    """
    if dataset is not None:
        if root is not None or repo_id is not None:
            raise ConfigError("give the dataset once: DATASET, or --root / --repo_id")
        path = Path(dataset).expanduser()
        if path.exists():
            return f"local/{path.resolve().name}", path
        if REPO_ID.match(dataset) and not dataset.startswith((".", "~")):
            return dataset, None
        raise ConfigError(
            f"the folder {dataset} does not exist (and it is not a Hub repo id of the "
            f"form user/name)"
        )
    if root is not None:
        path = Path(root).expanduser()
        if not path.exists():
            raise ConfigError(f"--root={root}: the folder does not exist")
        return repo_id or f"local/{path.resolve().name}", path
    if repo_id is None:
        raise ConfigError("which dataset? Give DATASET, --root=FOLDER or --repo_id=USER/NAME")
    if not REPO_ID.match(repo_id):
        raise ConfigError(f"--repo_id={repo_id}: a repo id looks like user/name")
    return repo_id, None


#: errors of user input and the file system that a command reports in one line, not a traceback
USER_ERRORS = (OSError, ValueError, KeyError, IndexError, TypeError)


def command(function: Callable[[list[str]], int | None]) -> Callable[[list[str]], int]:
    """Run an ``lr dataset`` command: an error caused by input (a bad value, a missing or
    damaged file) becomes one ``lr dataset: error: ...`` line (``LR_DEBUG=1`` shows the
    traceback), and output cut short by a closed pipe (``| head``) ends quietly."""

    @functools.wraps(function)
    def run(argv: list[str]) -> int:
        from lr_dataset import progress

        shown = progress.progress_setting()
        try:
            result = function(argv)
            sys.stdout.flush()
            return 0 if result is None else int(result)
        except BrokenPipeError:
            # the reader went away (lr dataset info ... | head -1): stop writing, no traceback
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            os.close(devnull)
            return 141  # 128 + SIGPIPE, as a shell tool killed by the closed pipe
        except LrError:
            raise
        except USER_ERRORS as exc:
            if os.environ.get("LR_DEBUG"):
                raise
            raise ConfigError(f"{type(exc).__name__}: {exc}") from exc
        finally:
            progress.show_progress(shown)

    return run


def report_written(meta: Any) -> None:
    """``wrote ROOT: N episodes, M frames``."""
    print(f"wrote {meta.root}: {meta.total_episodes} episodes, {meta.total_frames} frames")
