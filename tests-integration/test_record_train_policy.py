"""From recording to a policy on the arm, across packages: ``lr record`` teleoperated episodes
on the emulated SO-101 (leader, follower, synthetic camera), ``lr train`` a small ACT on them,
then ``lr record --policy.path=...`` runs the checkpoint on the follower and records
evaluation episodes. lr-robots reaches lr-policies only through lr-core's
``lr.policy_runners`` registry."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("lr_policies")

from lr_core.motors import MotorCalibration, save_calibration
from lr_dataset.dataset import LeRobotDataset
from lr_motors.emulator import ServoEmulator, robot_servos
from lr_motors.presets import robot_motors

CAMERA = '--robot.cameras={"front": {"type": "synthetic", "width": 64, "height": 48}}'


def lr(args: list[str], env: dict[str, str], timeout: float = 600) -> str:
    result = subprocess.run([sys.executable, "-m", "lr_core.cli", *args], env=env,
                            capture_output=True, text=True, timeout=timeout)  # fmt: skip
    assert result.returncode == 0, (result.stdout[-3000:], result.stderr[-3000:])
    return result.stdout + result.stderr


@pytest.fixture(scope="module")
def arms(tmp_path_factory):
    home = tmp_path_factory.mktemp("calibration")
    calibration = {
        name: MotorCalibration(id=m.id, drive_mode=0, homing_offset=0,
                               range_min=0 if name == "wrist_roll" else 1000,
                               range_max=4095 if name == "wrist_roll" else 3000)
        for name, m in robot_motors("so101").motors.items()
    }  # fmt: skip
    with (
        ServoEmulator(robot_servos("so101", "follower")) as follower,
        ServoEmulator(robot_servos("so101", "leader")) as leader,
    ):
        for emu, rel in ((follower, "robots/so_follower/black.json"),
                         (leader, "teleoperators/so_leader/blue.json")):  # fmt: skip
            save_calibration(home / rel, calibration)
            for name, cal in calibration.items():
                emu.set_register(name, "Min_Position_Limit", cal.range_min)
                emu.set_register(name, "Max_Position_Limit", cal.range_max)
        env = {**os.environ, "HF_LEROBOT_CALIBRATION": str(home), "OMP_NUM_THREADS": "1"}
        yield follower, leader, env


def robot_flags(follower) -> list[str]:
    return ["--robot.type=so101_follower", f"--robot.port={follower.port}", "--robot.id=black",
            CAMERA]  # fmt: skip


@pytest.fixture(scope="module")
def trained(arms, tmp_path_factory):
    """A dataset recorded by ``lr record`` and an ACT checkpoint trained on it by ``lr train``
    (trained once for this module)."""
    follower, leader, env = arms
    work = tmp_path_factory.mktemp("record-train")
    data = work / "pick"
    leader.move("elbow_flex", 2400)
    lr(["record", *robot_flags(follower), "--teleop.type=so101_leader",
        f"--teleop.port={leader.port}", "--teleop.id=blue", "--dataset.repo_id=me/pick",
        f"--dataset.root={data}", "--dataset.single_task=pick", "--dataset.num_episodes=2",
        "--dataset.episode_time_s=1", "--dataset.reset_time_s=0", "--dataset.push_to_hub=false",
        "--dataset.no_stamp=true"], env)  # fmt: skip
    lr(["train", "--policy.type=act", "--policy.chunk_size=5", "--policy.n_action_steps=5",
        "--policy.dim_model=32", "--policy.n_heads=2", "--policy.dim_feedforward=64",
        "--policy.n_encoder_layers=1", "--policy.n_vae_encoder_layers=1",
        "--policy.pretrained_backbone_weights=null", "--dataset.repo_id=me/pick",
        f"--dataset.root={data}", "--steps=3", "--batch_size=4", "--num_workers=0",
        f"--output_dir={work / 'run'}", "--progress_bar=false"], env)  # fmt: skip
    return data, work / "run/checkpoints/last/pretrained_model"


@pytest.mark.slow
def test_a_dataset_recorded_by_lr_record_trains_with_lr_train(trained):
    data, checkpoint = trained
    ds = LeRobotDataset("me/pick", root=data)
    assert ds.meta.total_episodes == 2 and ds.meta.robot_type == "so_follower"
    assert (checkpoint / "model.safetensors").is_file()
    assert (checkpoint / "policy_preprocessor.json").is_file()


@pytest.mark.slow
def test_lr_record_runs_the_trained_policy_on_the_arm(arms, trained, tmp_path):
    follower, _, env = arms
    _, checkpoint = trained
    root = tmp_path / "eval"
    out = lr(["record", *robot_flags(follower), f"--policy.path={checkpoint}",
              "--policy.device=cpu", "--policy.num_threads=1",
              "--dataset.repo_id=me/eval_pick", f"--dataset.root={root}",
              "--dataset.single_task=pick", "--dataset.num_episodes=1",
              "--dataset.episode_time_s=1", "--dataset.reset_time_s=0",
              "--dataset.push_to_hub=false", "--dataset.no_stamp=true"], env)  # fmt: skip
    assert "Loading the policy" in out and "Episode 0 saved" in out
    ds = LeRobotDataset("me/eval_pick", root=root)
    assert ds.meta.total_episodes == 1 and len(ds) > 10
    actions = ds.column("action", 0)
    assert np.isfinite(actions).all() and actions.shape[1] == 6
    # the last recorded action is the goal the follower was sent (within a servo tick; degrees
    # from the middle, 2000, of the calibrated 1000..3000)
    goal = follower.register("elbow_flex", "Goal_Position")
    assert abs((goal - 2000) * 360 / 4095 - actions[-1, 2]) < 0.2
    assert follower.register("elbow_flex", "Torque_Enable") == 0


@pytest.mark.slow
def test_a_policy_that_does_not_fit_the_robot_is_refused_before_it_moves(arms, trained, tmp_path):
    follower, _, env = arms
    _, checkpoint = trained
    flags = [f for f in robot_flags(follower) if not f.startswith("--robot.cameras")]
    flags.append('--robot.cameras={"front": {"type": "synthetic", "width": 32, "height": 24}}')
    result = subprocess.run(
        [sys.executable, "-m", "lr_core.cli", "record", *flags, f"--policy.path={checkpoint}",
         "--dataset.repo_id=me/eval_x", f"--dataset.root={tmp_path / 'x'}",
         "--dataset.single_task=pick", "--dataset.push_to_hub=false"],
        env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 1
    assert "the policy does not fit this robot" in result.stderr
    assert "'observation.images.front': the policy was trained on shape (3, 48, 64)" in (
        result.stderr
    )
    assert "connected" not in result.stderr and not Path(tmp_path / "x").exists()


@pytest.mark.slow
def test_the_policy_runs_on_the_simulated_arm_too(arms, trained, tmp_path):
    pytest.importorskip("mujoco")
    _, _, env = arms
    _, checkpoint = trained
    root = tmp_path / "sim_eval"
    out = lr(["record", "--robot.type=sim_so101", "--robot.use_degrees=true",
              '--robot.cameras={"front": {"camera": "front", "width": 64, "height": 48}}',
              f"--policy.path={checkpoint}", "--policy.device=cpu",
              "--dataset.repo_id=me/eval_sim", f"--dataset.root={root}",
              "--dataset.single_task=pick", "--dataset.num_episodes=1",
              "--dataset.episode_time_s=1", "--dataset.reset_time_s=0",
              "--dataset.push_to_hub=false", "--dataset.no_stamp=true"], env)  # fmt: skip
    assert "Episode 0 saved" in out
    ds = LeRobotDataset("me/eval_sim", root=root)
    assert ds.meta.robot_type == "sim_so101" and len(ds) > 10
