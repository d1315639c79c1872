"""A Raspberry Pi install: lr-core + lr-motors + lr-robots + lr-inference from wheels, no torch.

Builds each wheel with ``uv build --package``, installs them into a fresh virtual environment
(third-party requirements come from the package index, as on a user's machine) and checks that
torch did not come along and that the ``lr`` command works there.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
LIGHT_DISTRIBUTIONS = ("lr-core", "lr-motors", "lr-robots", "lr-inference")
HEAVY_MODULES = ("torch", "torchvision", "av", "mujoco", "pyarrow")

pytestmark = pytest.mark.skipif(shutil.which("uv") is None, reason="needs the uv command")


def run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(cmd, capture_output=True, text=True, **kwargs)
    assert result.returncode == 0, f"{' '.join(cmd)} failed:\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def light_venv(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("light")
    dist = work / "dist"
    for name in LIGHT_DISTRIBUTIONS:
        run(
            ["uv", "build", "--quiet", "--wheel", "--package", name, "--out-dir", str(dist)],
            cwd=REPO,
        )
    wheels = sorted(dist.glob("*.whl"))
    assert len(wheels) == len(LIGHT_DISTRIBUTIONS), wheels
    venv = work / "venv"
    run(["uv", "venv", "--quiet", "--python", sys.executable, str(venv)])
    env = {**os.environ, "VIRTUAL_ENV": str(venv)}
    env.pop("UV_PROJECT_ENVIRONMENT", None)
    run(
        [
            "uv",
            "pip",
            "install",
            "--quiet",
            "--python",
            str(venv / "bin" / "python"),
            *map(str, wheels),
        ],
        env=env,
    )
    return venv


def test_light_install_has_no_torch(light_venv: Path) -> None:
    python = light_venv / "bin" / "python"
    listed = run(["uv", "pip", "list", "--python", str(python), "--format", "freeze"]).stdout
    installed = {line.split("==")[0].lower() for line in listed.splitlines() if "==" in line}
    assert {"lr-core", "lr-motors", "lr-robots", "lr-inference"} <= installed
    assert not installed & {"torch", "torchvision", "av", "mujoco", "pyarrow"}, installed


def test_light_install_imports_stay_light(light_venv: Path) -> None:
    python = light_venv / "bin" / "python"
    code = (
        "import sys, lr_core, lr_motors, lr_robots, lr_inference\n"
        f"heavy = [m for m in {HEAVY_MODULES!r} if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    run([str(python), "-c", code])


def test_lr_help_works_in_light_install(light_venv: Path) -> None:
    out = run([str(light_venv / "bin" / "lr"), "--help"]).stdout
    assert "usage" in out.lower()
    assert "info" in out
    info = run([str(light_venv / "bin" / "lr"), "info"]).stdout
    for name in LIGHT_DISTRIBUTIONS:
        assert name in info
    assert "lr-policies" not in info and "lr-dataset" not in info
    assert "torch: not installed" in info
