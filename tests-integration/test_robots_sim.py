"""lr-robots driving lr-sim's ``sim_so101`` through the registry only (lr-robots never imports
lr-sim): an emulated SO-101 leader teleoperates the simulated follower, and ``lr replay`` and
``lr teleoperate`` accept it as ``--robot.type=sim_so101``."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

pytest.importorskip("mujoco")

LR = [sys.executable, "-c", "import sys; from lr_core.cli import main; sys.exit(main())"]


@pytest.fixture
def leader(tmp_path, monkeypatch):
    from lr_core.motors import MotorCalibration, save_calibration
    from lr_motors.emulator import ServoEmulator, robot_servos
    from lr_motors.presets import robot_motors

    monkeypatch.setenv("HF_LEROBOT_CALIBRATION", str(tmp_path / "calibration"))
    calibration = {
        name: MotorCalibration(
            id=m.id, drive_mode=0, homing_offset=0, range_min=1000, range_max=3000
        )
        for name, m in robot_motors("so101", "leader").motors.items()
    }
    with ServoEmulator(robot_servos("so101", "leader")) as emu:
        save_calibration(tmp_path / "calibration/teleoperators/so_leader/blue.json", calibration)
        for name in calibration:
            emu.set_register(name, "Min_Position_Limit", 1000)
            emu.set_register(name, "Max_Position_Limit", 3000)
        yield emu


def test_an_emulated_leader_drives_the_simulated_follower(leader):
    from lr_core.devices import RobotConfig, TeleoperatorConfig
    from lr_robots.control.loops import teleop_loop
    from lr_robots.devices import make_robot_from_config, make_teleoperator_from_config

    robot = make_robot_from_config(RobotConfig.from_dict({"type": "sim_so101"}))
    teleop = make_teleoperator_from_config(
        TeleoperatorConfig.from_dict(
            {"type": "so101_leader", "port": leader.port, "id": "blue", "use_degrees": False}
        )
    )
    assert robot.action_features == teleop.action_features
    teleop.connect()
    robot.connect()
    try:
        leader.move("elbow_flex", 2500)  # +50 on the -100..100 scale
        leader.move("shoulder_pan", 1500)  # -50
        stats = teleop_loop(teleop, robot, fps=30, duration=2.5)
        obs = robot.get_observation()
    finally:
        robot.disconnect()
        teleop.disconnect()
    assert stats.count > 30
    assert obs["elbow_flex.pos"] == pytest.approx(50, abs=8)
    assert obs["shoulder_pan.pos"] == pytest.approx(-50, abs=8)


def test_lr_teleoperate_and_replay_accept_the_simulated_robot(leader, tmp_path):
    import numpy as np

    from lr_core.features import hw_to_dataset_features
    from lr_dataset.dataset import LeRobotDataset

    env = dict(os.environ)
    out = subprocess.run(
        [*LR, "teleoperate", "--robot.type=sim_so101", "--teleop.type=so101_leader",
         f"--teleop.port={leader.port}", "--teleop.id=blue", "--teleop.use_degrees=false",
         "--fps=30", "--teleop_time_s=1.5"],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Hz achieved" in out.stdout
    names = ["shoulder_pan.pos", "shoulder_lift.pos", "elbow_flex.pos", "wrist_flex.pos",
             "wrist_roll.pos", "gripper.pos"]  # fmt: skip
    features = hw_to_dataset_features(dict.fromkeys(names, float), "action")
    root = tmp_path / "sim_ds"
    ds = LeRobotDataset.create("local/sim", 30, features, root=root, robot_type="sim_so101")
    for i in range(15):
        ds.add_frame({"action": np.full(6, i, np.float32), "task": "wave"})
    ds.save_episode()
    ds.finalize()
    started = time.monotonic()
    out = subprocess.run(
        [*LR, "replay", "--robot.type=sim_so101", f"--dataset.root={root}",
         "--dataset.episode=0"],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr
    assert "replayed 15/15 actions" in out.stdout
    assert time.monotonic() - started > 0.4  # at the dataset's 30 fps
