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


def _calibrated_so101_pair(home: Path):
    """Emulated SO-101 follower and leader whose registers and files hold one calibration."""
    from lr_core.motors import MotorCalibration, save_calibration
    from lr_motors.emulator import ServoEmulator, robot_servos
    from lr_motors.presets import robot_motors

    calibration = {
        name: MotorCalibration(
            id=m.id,
            drive_mode=0,
            homing_offset=0,
            range_min=0 if name == "wrist_roll" else 1000,
            range_max=4095 if name == "wrist_roll" else 3000,
        )
        for name, m in robot_motors("so101").motors.items()
    }
    follower = ServoEmulator(robot_servos("so101", "follower"))
    leader = ServoEmulator(robot_servos("so101", "leader"))
    for emu, path in (
        (follower, home / "robots/so_follower/black.json"),
        (leader, home / "teleoperators/so_leader/blue.json"),
    ):
        emu.start()
        save_calibration(path, calibration)
        for name, cal in calibration.items():
            emu.set_register(name, "Min_Position_Limit", cal.range_min)
            emu.set_register(name, "Max_Position_Limit", cal.range_max)
    return follower, leader


def test_teleoperate_runs_in_light_install(light_venv: Path, tmp_path: Path) -> None:
    """The robot computer of the design card: lr teleoperate on emulated arms, no torch."""
    follower, leader = _calibrated_so101_pair(tmp_path / "calibration")
    try:
        env = {**os.environ, "HF_LEROBOT_CALIBRATION": str(tmp_path / "calibration")}
        leader.move("elbow_flex", 2600)
        out = run(
            [
                str(light_venv / "bin" / "lr"),
                "teleoperate",
                "--robot.type=so101_follower",
                f"--robot.port={follower.port}",
                "--robot.id=black",
                "--teleop.type=so101_leader",
                f"--teleop.port={leader.port}",
                "--teleop.id=blue",
                "--fps=30",
                "--teleop_time_s=2",
            ],
            env=env,
            timeout=120,
        )
        assert "Hz achieved" in out.stdout, out.stdout + out.stderr
        assert follower.register("elbow_flex", "Goal_Position") == 2600
        replay = subprocess.run(
            [
                str(light_venv / "bin" / "lr"),
                "replay",
                "--robot.type=so101_follower",
                f"--robot.port={follower.port}",
                "--robot.id=black",
                f"--dataset.root={tmp_path}",
                "--dataset.episode=0",
            ],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        assert replay.returncode == 1
        assert "pip install 'lr-robots[dataset]'" in replay.stderr
    finally:
        follower.stop()
        leader.stop()
