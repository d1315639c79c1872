"""The ``lr`` command: help lists installed commands, errors are short and name the fix."""

from __future__ import annotations

import subprocess
import sys

import pytest

from lr_core.cli import Command, CommandGroup, main
from lr_core.errors import ConfigError


def test_help_lists_installed_commands(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "info" in out and "usage: lr <command>" in out


def test_unknown_command_is_a_one_line_error(capsys):
    assert main(["no-such-command"]) == 1
    err = capsys.readouterr().err
    assert "unknown lr.commands type 'no-such-command'" in err
    assert "Installed:" in err


def test_info_reports_versions_and_codecs(capsys):
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    assert "lr-core 0.1.0" in out
    assert "python: 3." in out
    assert "lr.commands:" in out
    assert "torch:" in out and "PyAV:" in out


def test_command_groups_dispatch_and_list(capsys):
    calls = []
    group = CommandGroup(
        help="things",
        commands={
            "one": Command(help="first", run=lambda argv: calls.append(argv)),
            "nested": CommandGroup(
                help="more", commands={"two": Command(help="2", run=lambda a: 3)}
            ),
        },
    )
    assert group(["one", "--x=1"]) == 0 and calls == [["--x=1"]]
    assert group(["nested", "two"]) == 3
    assert group([], prog="lr things") == 0
    assert "  one     first" in capsys.readouterr().out


def test_lr_errors_become_exit_code_1_without_traceback(monkeypatch, capsys):
    def fail(argv):
        raise ConfigError("--steps must be positive")

    from lr_core import registry

    monkeypatch.setattr(registry, "load", lambda group, name: Command(help="", run=fail))
    assert main(["anything"]) == 1
    assert capsys.readouterr().err.strip() == "lr anything: error: --steps must be positive"


def test_console_script_runs():
    result = subprocess.run(
        [sys.executable, "-m", "lr_core.cli", "--help"], capture_output=True, text=True
    )
    assert result.returncode == 0 and "commands:" in result.stdout


def test_unexpected_errors_are_one_line_and_name_lr_debug(monkeypatch, capsys):
    def crash(argv):
        raise ValueError("boom")

    from lr_core import registry

    monkeypatch.setattr(registry, "load", lambda group, name: Command(help="", run=crash))
    assert main(["anything", "--x=1"]) == 1
    err = capsys.readouterr().err
    assert "lr anything: error: ValueError: boom" in err and "LR_DEBUG=1" in err
    assert "Traceback" not in err
    monkeypatch.setenv("LR_DEBUG", "1")
    with pytest.raises(ValueError):
        main(["anything"])


def test_closed_stdout_ends_quietly():
    process = subprocess.Popen(
        [sys.executable, "-m", "lr_core.cli", "--help"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    process.stdout.close()
    err = process.stderr.read().decode()
    assert process.wait(timeout=60) == 141
    assert err == ""


def test_info_refuses_arguments(capsys):
    assert main(["info", "--verbose"]) == 1
    assert "lr info takes no arguments" in capsys.readouterr().err
