"""A Raspberry Pi install: lr-core + lr-motors + lr-robots + lr-inference from wheels, no torch.

Builds each wheel with ``uv build --package``, installs them into a fresh virtual environment
(third-party requirements come from the package index, as on a user's machine) and checks that
torch did not come along and that the ``lr`` command works there.
"""

from __future__ import annotations

import json
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


# --------------------------------------------------------------------------- async inference


@pytest.fixture
def policy_server():
    """A fixed-cost policy server run by the full workspace (a 'GPU machine' on loopback)."""
    import select

    server = subprocess.Popen(
        [sys.executable, "-m", "lr_inference.testing", "--policy.chunk_length=10"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    ready, _, _ = select.select([server.stdout], [], [], 120)
    line = server.stdout.readline() if ready else ""
    assert "listening on" in line, line
    yield line.split("listening on", 1)[1].strip()
    server.terminate()
    server.wait(30)


LIGHT_CLIENT = """
import sys
from typing import ClassVar
from lr_core.devices import RobotConfig
from lr_core.robot import Robot
from lr_inference import RobotClient, RobotClientConfig

class PiArmConfig(RobotConfig):
    type: str = "pi_arm"

class PiArm(Robot):
    config_class: ClassVar = PiArmConfig
    name: ClassVar[str] = "pi_arm"
    observation_features = {"a.pos": float, "b.pos": float}
    action_features = {"a.pos": float, "b.pos": float}
    is_calibrated = True
    def __init__(self):
        super().__init__(PiArmConfig(calibration_dir="/nonexistent"))
        self.on, self.sent = False, []
    @property
    def is_connected(self):
        return self.on
    def connect(self, calibrate=True):
        self.on = True
    def calibrate(self): pass
    def configure(self): pass
    def get_observation(self):
        return {"a.pos": 1.0, "b.pos": 2.0}
    def send_action(self, action):
        self.sent.append(action)
        return action
    def disconnect(self):
        self.on = False

cfg = RobotClientConfig(policy_type="", pretrained_name_or_path="fixed", robot=PiArmConfig(),
                        server_address=sys.argv[1], actions_per_chunk=10, fps=30)
robot = PiArm()
stats = RobotClient(cfg, robot=robot).run(duration_s=2.0)
assert stats.chunks >= 2 and robot.sent, stats
assert robot.sent[-1] == {"a.pos": 1.0, "b.pos": 2.0}, robot.sent[-1]
heavy = [m for m in ("torch", "lr_policies", "mujoco", "av", "pyarrow") if m in sys.modules]
assert not heavy, heavy
print("client ok", stats.chunks)
"""


def test_robot_client_runs_in_light_install(light_venv: Path, policy_server: str) -> None:
    out = run([str(light_venv / "bin" / "python"), "-c", LIGHT_CLIENT, policy_server]).stdout
    assert "client ok" in out


def test_lr_client_drives_the_emulated_so101_follower_in_light_install(
    light_venv: Path, policy_server: str, tmp_path: Path
) -> None:
    """The Done-when of issue 14: `lr client` with a real robot config (so101_follower) on the
    servo emulator, from the light install. Runs once lr-robots registers so101_follower."""
    python = str(light_venv / "bin" / "python")
    robots = run([python, "-c", "from lr_core import registry; print(registry.names('lr.robots'))"])
    if "so101_follower" not in robots.stdout:
        pytest.skip("lr-robots does not register so101_follower yet")
    script = f"""
import json, subprocess, sys
from pathlib import Path
from lr_core.motors import MotorCalibration, save_calibration
from lr_motors.emulator import ServoEmulator, robot_servos

motors = ["shoulder_pan", "shoulder_lift", "elbow_flex", "wrist_flex", "wrist_roll", "gripper"]
calibration_dir = Path({str(tmp_path / "calibration")!r})
save_calibration(calibration_dir / "emulated.json", {{
    name: MotorCalibration(id=i + 1, drive_mode=0, homing_offset=0, range_min=1024, range_max=3072)
    for i, name in enumerate(motors)}})
with ServoEmulator(robot_servos("so101", "follower")) as emulator:
    for name in motors:  # the registers hold the file's calibration: no calibration prompt
        emulator.set_register(name, "Min_Position_Limit", 1024)
        emulator.set_register(name, "Max_Position_Limit", 3072)
    result = subprocess.run(
        [sys.executable, "-m", "lr_core.cli", "client", "--robot.type=so101_follower",
         f"--robot.port={{emulator.port}}", "--robot.id=emulated",
         f"--robot.calibration_dir={{calibration_dir}}", "--server_address={policy_server}",
         "--policy_type=act", "--pretrained_name_or_path=fixed", "--actions_per_chunk=10",
         "--duration_s=3"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    state = emulator.state()
print(result.stdout.strip().splitlines()[-1])
"""
    out = run([python, "-c", script]).stdout
    summary = json.loads(out.split("lr client: ", 1)[1])
    assert summary["chunks"] >= 2 and summary["actions_executed"] > 0
