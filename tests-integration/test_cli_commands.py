"""Every installed `lr` command, through the real console entry in a subprocess: `--help` shows
each flag with a description and its real default, bad values end in an error line (never a
traceback), and a closed stdout (`lr ... | head -1`) ends quietly.

Commands are found through the `lr.commands` entry points (groups through their subcommands),
so commands added later are covered without touching this file.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import typing

import pytest

from lr_core import registry
from lr_core.cli import CommandGroup

ENV = {**os.environ, "OMP_NUM_THREADS": "1", "MUJOCO_GL": "egl"}
#: Plugin sections whose options appear only once a type is chosen: one run per type.
SELECTIONS = {
    "train": [["--policy.type=" + t] for t in registry.names("lr.policies")]
    + [["--policy.type=act", "--env.type=" + t] for t in registry.names("lr.envs")],
    "eval": [["--env.type=" + t] for t in registry.names("lr.envs")],
    "sim record": [["--env.type=" + t] for t in registry.names("lr.envs")],
}


def _commands() -> list[str]:
    out: list[str] = []
    for name in registry.names("lr.commands"):
        command = registry.load("lr.commands", name)
        if isinstance(command, CommandGroup):
            out.extend(f"{name} {sub}" for sub in command.commands)
        else:
            out.append(name)
    return sorted(out)


COMMANDS = _commands()


def lr(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lr_core.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=ENV,
    )


def _help_pages(command: str) -> list[tuple[list[str], str]]:
    pages = []
    for extra in [[], *SELECTIONS.get(command, [])]:
        result = lr(*command.split(), *extra, "--help")
        assert result.returncode == 0, (command, extra, result.stderr[-2000:])
        assert "Traceback" not in result.stderr
        pages.append((extra, result.stdout))
    return pages


def _flag_rows(page: str) -> list[tuple[str, str]]:
    """(flag, description) of a help page in lr's format (``  --flag=TYPE  text``)."""
    rows: list[list[str]] = []
    for line in page.splitlines():
        if line.startswith("  --"):
            rows.append([line[2:]])
        elif line.startswith(" " * 34) and rows and line.strip():
            rows[-1].append(line.strip())
        elif not line.startswith(" "):
            rows.append([]) if rows and rows[-1] else None
    out = []
    for row in filter(None, rows):
        flag, _, text = row[0].partition(" ")
        out.append((flag, " ".join([text.strip(), *row[1:]]).strip()))
    return out


def test_the_commands_are_found():
    assert {"train", "eval", "quickstart", "info"} <= set(COMMANDS)


@pytest.mark.parametrize("command", COMMANDS)
def test_help_describes_every_flag_with_its_real_default(command):
    for extra, page in _help_pages(command):
        assert page.strip(), (command, extra)
        assert "default factory" not in page, (command, extra)
        assert "``" not in page and ":class:" not in page and ":func:" not in page, (command, extra)
        assert "PosixPath(" not in page and not re.search(r"<\w+\.\w+: ", page), (command, extra)
        rows = _flag_rows(page)
        if not rows or "[--flag=value ...]" not in page.splitlines()[0]:
            continue  # no options (lr info), or a command not on lr_core.config.parse_cli
        undocumented = [flag for flag, text in rows if not text or text.startswith("(")]
        assert not undocumented, f"lr {command} {' '.join(extra)}: flags without a description"
        for flag, text in rows:
            if flag.endswith(("=INT", "=FLOAT", "=BOOL", "=STR", "=PATH")):
                assert re.search(r"\((default: |required)", text) or "default" in text, flag


def _fields_without_description(cls: type, seen: set[type]) -> list[str]:
    """``Class.field`` for each field of ``cls`` and of the configs inside it (nested, in
    mappings, lists and unions) that ``--help`` would show without a description."""
    from pydantic import BaseModel

    from lr_core.config_help import field_description

    if cls in seen:
        return []
    seen.add(cls)
    out = []
    for name, field in cls.model_fields.items():
        if name != "type" and not field_description(cls, name):
            out.append(f"{cls.__module__}.{cls.__qualname__}.{name}")
        stack = [field.annotation]
        while stack:
            annotation = stack.pop()
            stack.extend(typing.get_args(annotation))
            if isinstance(annotation, type) and issubclass(annotation, BaseModel):
                out += _fields_without_description(annotation, seen)
    return out


@pytest.mark.parametrize("group", ["lr.robots", "lr.teleoperators", "lr.cameras"])
def test_every_device_field_is_described(group):
    """Device options appear only once a type is chosen (``lr teleoperate --robot.type=X
    --help``), so every field of every registered type is checked here, in process."""
    seen: set[type] = set()
    missing = [
        field
        for name in registry.names(group)
        for field in _fields_without_description(registry.load(group, name), seen)
    ]
    assert not missing, f"{group}: fields without a description"


def test_help_shows_preset_defaults_not_factories():
    page = lr("quickstart", "--help").stdout
    assert "--env.task=STR" in page and "(default: pick-and-place)" in page
    assert "--policy.type=visuomotor" in page and "(default: [16, 32, 32, 32])" in page
    page = lr("train", "--policy.type=act", "--help").stdout
    assert re.search(r"--num_workers=INT .*default: \d+", page.replace("\n", " "))


@pytest.mark.parametrize("command", COMMANDS)
def test_bad_values_end_in_an_error_line_not_a_traceback(command):
    args = command.split()
    trials = [["--no_such_option=1"], ["--no_such_option"], ["@@@"]]
    _, page = _help_pages(command)[0]
    bad_value = {"INT": "abc", "FLOAT": "abc", "BOOL": "maybe", "LIST": "[1,", "JSON": "{x"}
    tried: set[str] = set()
    for flag, _ in _flag_rows(page):  # the first flag of each type
        name, _, kind = flag.partition("=")
        if kind in bad_value and kind not in tried:
            tried.add(kind)
            trials.append([f"{name}={bad_value[kind]}"])
    for bad in trials:
        result = lr(*args, *bad)
        assert "Traceback" not in result.stderr, (command, bad, result.stderr[-2000:])
        assert result.returncode != 0, (command, bad, result.stdout[-500:])
        assert result.stderr.strip(), (command, bad)


def test_a_closed_pipe_ends_quietly():
    for args in (["--help"], ["train", "--policy.type=act", "--help"], ["info"]):
        process = subprocess.Popen(
            [sys.executable, "-m", "lr_core.cli", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=ENV,
        )
        process.stdout.close()  # as `| head -1` does once it has its line
        err = process.stderr.read().decode()
        process.wait(timeout=120)
        assert "Traceback" not in err and "BrokenPipeError" not in err, (args, err)
        assert process.returncode in (0, 141), (args, process.returncode)


def test_stop_after_steps_is_checked_like_any_flag():
    result = lr("train", "--policy.type=act", "--dataset.repo_id=a/b", "--stop_after_steps=abc")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "--stop_after_steps must be an integer, got 'abc'" in result.stderr
