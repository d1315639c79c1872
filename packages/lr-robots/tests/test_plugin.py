"""A new robot as a plugin: the example distribution in ``tests/plugin_dist`` is built and
installed into its own folder, then calibrated and teleoperated through ``lr`` on emulated
servos, found by its entry points alone."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lr_core.motors import load_calibration
from lr_motors.emulator import ServoEmulator, ServoSpec

PLUGIN_SOURCE = Path(__file__).parent / "plugin_dist"
SERVOS = [ServoSpec("base", "sts3215", 1), ServoSpec("elbow", "sts3215", 2),
          ServoSpec("gripper", "sts3215", 3)]  # fmt: skip


@pytest.fixture(scope="module")
def plugin_site(tmp_path_factory) -> Path:
    """``lr-robot-plugin-example`` built and installed (wheel layout) into its own folder."""
    uv = shutil.which("uv")
    if uv is None:
        pytest.fail("uv is needed to build the example plugin; run the tests with `uv run pytest`")
    target = tmp_path_factory.mktemp("site")
    source = tmp_path_factory.mktemp("src") / "plugin"
    shutil.copytree(PLUGIN_SOURCE, source)  # build outside the repo: no stray build files
    subprocess.run(
        [uv, "pip", "install", "--quiet", "--no-deps", "--python", sys.executable,
         "--target", str(target), str(source)],
        check=True,
    )  # fmt: skip
    return target


@pytest.mark.slow
def test_the_plugin_robot_is_found_calibrated_and_teleoperated(
    plugin_site, spawn, calibration_home, calibrate_by_hand, monkeypatch
):
    monkeypatch.setenv("PYTHONPATH", str(plugin_site))
    lr = [sys.executable, "-c", "import sys; from lr_core.cli import main; sys.exit(main())"]
    with ServoEmulator(SERVOS) as follower, ServoEmulator(SERVOS) as leader:
        for emu, args in (
            (follower, ["--robot.type=example_arm", f"--robot.port={follower.port}",
                        "--robot.id=desk"]),
            (leader, ["--teleop.type=example_arm_leader", f"--teleop.port={leader.port}",
                      "--teleop.id=desk"]),
        ):  # fmt: skip
            proc = spawn([*lr, "calibrate", *args])
            calibrate_by_hand(proc, emu, ["elbow", "gripper"])
            assert proc.wait() == 0, proc.text
        cal = load_calibration(calibration_home / "robots/example_arm/desk.json")
        assert (cal["base"].range_min, cal["base"].range_max) == (0, 4095)
        assert (cal["elbow"].range_min, cal["elbow"].range_max) == (1000, 3100)
        proc = spawn([*lr, "teleoperate", "--robot.type=example_arm",
                      f"--robot.port={follower.port}", "--robot.id=desk",
                      "--teleop.type=example_arm_leader", f"--teleop.port={leader.port}",
                      "--teleop.id=desk", "--fps=30", "--teleop_time_s=2"])  # fmt: skip
        proc.expect("connected")
        leader.move("elbow", 2500)
        assert proc.wait() == 0, proc.text
        assert "Hz achieved" in proc.text
        deadline = time.monotonic() + 5
        while follower.register("elbow", "Goal_Position") != 2500:
            assert time.monotonic() < deadline
            time.sleep(0.01)


def test_an_unknown_type_lists_the_installed_ones(run_lr):
    proc = run_lr("teleoperate", "--robot.type=so101_folower", "--robot.port=x",
                  "--teleop.type=so101_leader", "--teleop.port=y")  # fmt: skip
    assert proc.wait() == 1
    assert "Did you mean 'so101_follower'" in proc.text
