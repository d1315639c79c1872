"""Plugins are found through entry points alone: a real third-party distribution is built,
installed into a folder, and used by a fresh interpreter without any change to lr."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from lr_core import registry
from lr_core.errors import PluginError

PLUGIN_SOURCE = Path(__file__).parent / "plugin_dist"


@pytest.fixture(scope="module")
def plugin_site(tmp_path_factory) -> Path:
    """``lr-plugin-example`` built and installed (wheel layout) into its own folder."""
    uv = shutil.which("uv")
    if uv is None:
        pytest.fail("uv is needed to build the example plugin; run the tests with `uv run pytest`")
    target = tmp_path_factory.mktemp("site")
    source = tmp_path_factory.mktemp("src") / "plugin"
    shutil.copytree(PLUGIN_SOURCE, source)  # build outside the repo: no stray build files
    subprocess.run(
        [
            uv,
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--python",
            sys.executable,
            "--target",
            str(target),
            str(source),
        ],
        check=True,
    )
    return target


def run_python(site: Path, code: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(site)}
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


def test_plugin_robot_is_found_and_built_from_its_type(plugin_site):
    result = run_python(
        plugin_site,
        """
        from lr_core import registry
        from lr_core.config import LrConfig, parse_cli
        from lr_core.devices import RobotConfig

        class Run(LrConfig):
            robot: RobotConfig

        assert "example_robot" in registry.names("lr.robots")
        cfg = parse_cli(Run, ["--robot.type=example_robot", "--robot.joint_limit=10",
                              "--robot.id=unit1"])
        robot_cls = cfg.robot.implementation_class()
        robot = robot_cls(cfg.robot)
        robot.connect()
        print(type(cfg.robot).__name__, robot.send_action({"joint.pos": 99.0}))
        print(cfg.to_dict()["robot"]["joint_limit"])
        """,
    )
    assert result.returncode == 0, result.stderr
    assert "ExampleRobotConfig {'joint.pos': 10.0}" in result.stdout
    assert "10.0" in result.stdout.splitlines()[1]


def test_plugin_command_appears_in_lr_help_and_runs(plugin_site):
    code = "import sys; from lr_core.cli import main; sys.exit(main(sys.argv[1:]))"
    env = {**os.environ, "PYTHONPATH": str(plugin_site)}
    helped = subprocess.run(
        [sys.executable, "-c", code, "--help"], capture_output=True, text=True, env=env
    )
    assert "hello" in helped.stdout and "lr-plugin-example" in helped.stdout
    ran = subprocess.run(
        [sys.executable, "-c", code, "hello", "world"], capture_output=True, text=True, env=env
    )
    assert ran.returncode == 0 and "hello from a plugin world" in ran.stdout


def test_unknown_plugin_type_lists_installed_ones(plugin_site):
    result = run_python(
        plugin_site,
        """
        from lr_core.config import LrConfig, parse_cli
        from lr_core.devices import RobotConfig
        from lr_core.errors import ConfigError

        class Run(LrConfig):
            robot: RobotConfig

        try:
            parse_cli(Run, ["--robot.type=exampel_robot"])
        except ConfigError as exc:
            print(exc)
        """,
    )
    assert "unknown lr.robots type 'exampel_robot'" in result.stdout
    assert "Did you mean 'example_robot'" in result.stdout


def test_registry_errors_are_plugin_errors():
    with pytest.raises(PluginError, match="unknown lr.envs type 'nope'"):
        registry.load("lr.envs", "nope")
    with pytest.raises(PluginError, match="not of the form"):
        registry.load_object("no_colon")
    with pytest.raises(PluginError, match="has no attribute"):
        registry.load_object("lr_core.errors:Nope")
    assert "info" in registry.names("lr.commands")
