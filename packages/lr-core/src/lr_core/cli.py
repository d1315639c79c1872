"""The ``lr`` command. Its subcommands come from the ``lr.commands`` entry-point group.

A distribution adds a subcommand by registering a :class:`Command` (or :class:`CommandGroup`)::

    [project.entry-points."lr.commands"]
    train = "lr_policies.commands:train"

Command modules stay cheap to import (``lr --help`` loads them all); the heavy work is imported
inside the function the command names.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NoReturn

from lr_core import registry
from lr_core.errors import LrError

RunFunction = Callable[[list[str]], int | None]


@dataclass(frozen=True)
class Command:
    """One subcommand: a one-line ``help`` and what to ``run``.

    ``run`` takes the remaining arguments and returns an exit code (``None`` means 0). It may
    be a ``"package.module:function"`` string, imported only when the command runs.
    """

    help: str
    run: RunFunction | str

    def __call__(self, argv: list[str]) -> int:
        """Run with ``argv`` (the arguments after the command name)."""
        function = registry.load_object(self.run) if isinstance(self.run, str) else self.run
        result = function(argv)
        return 0 if result is None else int(result)


@dataclass(frozen=True)
class CommandGroup:
    """A command with subcommands (``lr dataset info``, ``lr motors emulate``)."""

    help: str
    commands: Mapping[str, Command | CommandGroup] = field(default_factory=dict)

    def __call__(self, argv: list[str], *, prog: str = "lr") -> int:
        """Dispatch ``argv[0]`` to a subcommand."""
        if not argv or argv[0] in ("-h", "--help"):
            print(_listing(prog, self.help, self.commands))
            return 0
        name, rest = argv[0], argv[1:]
        if name not in self.commands:
            raise LrError(
                registry.unknown_name_message(f"'{prog}' subcommand", name, list(self.commands))
            )
        command = self.commands[name]
        if isinstance(command, CommandGroup):
            return command(rest, prog=f"{prog} {name}")
        return command(rest)


def _listing(prog: str, help_text: str, commands: Mapping[str, Any]) -> str:
    width = max((len(n) for n in commands), default=0)
    lines = [f"usage: {prog} <command> [options]", "", help_text, "", "commands:"]
    for name in sorted(commands):
        lines.append(f"  {name.ljust(width)}  {getattr(commands[name], 'help', '')}")
    lines.append("")
    lines.append(f"Run '{prog} <command> --help' for a command's options.")
    return "\n".join(lines)


def _installed_commands() -> dict[str, Any]:
    commands: dict[str, Any] = {}
    for name in registry.names("lr.commands"):
        try:
            commands[name] = registry.load("lr.commands", name)
        except LrError as exc:
            commands[name] = Command(help=f"(unavailable: {exc})", run=_broken(exc))
    return commands


def _broken(exc: Exception) -> RunFunction:
    def run(argv: list[str]) -> int:
        raise exc

    return run


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``lr`` console script.

    No command ends in a Python traceback for user input or a closed pipe: lr's errors print
    ``lr <command>: error: ...`` (exit 1), a closed stdout (``lr ... | head -1``) ends quietly
    (exit 141, as a shell reports SIGPIPE), Ctrl-C prints how long the command ran (exit 130),
    and any other exception prints one line asking for a report (``LR_DEBUG=1`` shows the
    traceback).
    """
    args = list(sys.argv[1:] if argv is None else argv)
    code = _guarded(args)
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        _silence_stdout()
        return 141
    except ValueError:  # stdout closed by the command itself
        pass
    return code


def _guarded(args: list[str]) -> int:
    name = args[0] if args else ""
    started = time.perf_counter()
    try:
        return _run(args)
    except KeyboardInterrupt:
        print(
            f"\nlr {name}: interrupted after {time.perf_counter() - started:.1f} s", file=sys.stderr
        )
        return 130
    except BrokenPipeError:
        _silence_stdout()
        return 141
    except LrError as exc:
        if os.environ.get("LR_DEBUG"):
            raise
        print(f"lr {name}: error: {exc}", file=sys.stderr)
        return 1
    except SystemExit as exc:
        # --help (argparse) and commands that exit with a message
        if isinstance(exc.code, str):
            print(f"lr {name}: error: {exc.code}", file=sys.stderr)
            return 1
        return 0 if exc.code is None else int(exc.code)
    except Exception as exc:
        if os.environ.get("LR_DEBUG"):
            raise
        print(
            f"lr {name}: error: {type(exc).__name__}: {exc}\n"
            "This looks like a bug in lr: please report it with the output of "
            f"'LR_DEBUG=1 lr {' '.join(args)}' (which shows the traceback).",
            file=sys.stderr,
        )
        return 1


def _run(args: list[str]) -> int:
    if not args or args[0] in ("-h", "--help"):
        print(
            _listing(
                "lr",
                "lr: the end-to-end robot learning stack. Commands come from the installed "
                "lr distributions.",
                _installed_commands(),
            )
        )
        return 0
    if args[0] == "--version":
        from importlib.metadata import version

        print(f"lr-core {version('lr-core')}")
        return 0
    name, rest = args[0], args[1:]
    command = registry.load("lr.commands", name)
    if isinstance(command, CommandGroup):
        return command(rest, prog=f"lr {name}")
    return command(rest)


def _silence_stdout() -> None:
    """After a closed pipe, point stdout at /dev/null so the interpreter's final flush does not
    raise (and print) BrokenPipeError again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


def console_main() -> NoReturn:
    """The ``lr`` console script: :func:`main`, then exit with its code. After Ctrl-C the
    interpreter's teardown is skipped (exit handlers still run and output is flushed): with
    torch loaded it takes seconds, and the user asked to stop."""
    code = main()
    if code == 130:
        import atexit

        atexit._run_exitfuncs()
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        os._exit(code)
    sys.exit(code)


if __name__ == "__main__":  # pragma: no cover
    console_main()
