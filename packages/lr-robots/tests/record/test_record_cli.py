"""``lr record`` end to end: an emulated SO-101 leader drives the emulated follower, a synthetic
camera films, and the dataset is read back with lr-dataset."""

from __future__ import annotations

import json
import signal
import time

import numpy as np
import pytest

LeRobotDataset = pytest.importorskip("lr_dataset.dataset").LeRobotDataset
LeRobotDatasetMetadata = pytest.importorskip("lr_dataset.metadata").LeRobotDatasetMetadata


def test_record_two_episodes_of_leader_motion(run_lr, calibrated_so101, tmp_path, record_args):
    follower, leader = calibrated_so101
    leader.move("elbow_flex", 2500)  # +0.45 of the range above mid: degrees on the follower
    root = tmp_path / "pick"
    proc = run_lr(*record_args(follower, leader, root))
    assert proc.wait(timeout=120) == 0, proc.text
    for text in ("Recording episode 0", "Reset the environment", "Recording episode 1",
                 "Episode 0 saved", "Episode 1 saved", "late ticks", "missed ticks",
                 "worst tick", "2 episodes"):  # fmt: skip
        assert text in proc.text, (text, proc.text)
    ds = LeRobotDataset("me/pick", root=root)
    meta = ds.meta
    assert meta.robot_type == "so_follower" and meta.fps == 30 and meta.total_episodes == 2
    assert list(meta.tasks) == ["pick it"]
    motors = ("shoulder_pan", "shoulder_lift", "elbow_flex", "wrist_flex", "wrist_roll", "gripper")
    assert meta.features["action"].names == [f"{m}.pos" for m in motors]
    assert meta.features["observation.images.front"].shape == (48, 64, 3)
    for ep in range(2):
        # one frame per tick of the 1 s episode: 30 when no tick was missed
        row = meta.episodes[ep]
        missed = int(
            proc.text.split(f"Episode {ep} done: ")[1].split("missed ticks ")[1].split(",")[0]
        )
        assert row["length"] == 30 - missed
        actions = ds.column("action", ep)
        # the leader's elbow at 2500 on a 1000..3000 calibration: (2500 - 2000) * 360 / 4095
        np.testing.assert_allclose(actions[:, 2], 500 * 360 / 4095, atol=0.1)
    item = ds[len(ds) - 1]
    assert tuple(item["observation.images.front"].shape) == (3, 48, 64)
    # the follower followed the leader: its state reached the leader's position
    assert abs(float(ds[len(ds) - 1]["observation.state"][2]) - 500 * 360 / 4095) < 1.0
    assert follower.register("elbow_flex", "Torque_Enable") == 0  # torque off at the end


def test_resume_adds_episodes_and_refuses_a_different_setup(
    run_lr, calibrated_so101, tmp_path, record_args
):
    follower, leader = calibrated_so101
    root = tmp_path / "pick"
    assert run_lr(*record_args(follower, leader, root, "--dataset.num_episodes=1")).wait() == 0
    again = run_lr(*record_args(follower, leader, root, "--dataset.num_episodes=1"))
    assert again.wait() == 1
    assert "already exists" in again.text and "--resume=true" in again.text
    resumed = run_lr(*record_args(follower, leader, root, "--dataset.num_episodes=1",
                                  "--resume=true"))  # fmt: skip
    assert resumed.wait(timeout=120) == 0, resumed.text
    assert "1 episodes there so far" in resumed.text and "Recording episode 1" in resumed.text
    assert LeRobotDatasetMetadata("me/pick", root=root).total_episodes == 2

    args = record_args(follower, leader, root, "--dataset.fps=15", "--resume=true")
    args = [a for a in args if not a.startswith("--robot.cameras")]
    args.append('--robot.cameras={"front": {"type": "synthetic", "width": 32, "height": 48}}')
    bad = run_lr(*args)
    assert bad.wait() == 1
    assert "cannot resume" in bad.text
    assert "fps: 30 in the dataset, --dataset.fps=15 now" in bad.text
    assert "'observation.images.front': shape [48, 64, 3] in the dataset, [48, 32, 3]" in bad.text
    assert "connected" not in bad.text  # refused before any device was opened
    assert LeRobotDatasetMetadata("me/pick", root=root).total_episodes == 2


def test_resume_of_a_missing_dataset_and_repo_id_rules(
    run_lr, calibrated_so101, tmp_path, record_args
):
    follower, leader = calibrated_so101
    missing = run_lr(*record_args(follower, leader, tmp_path / "nope", "--resume=true"))
    assert missing.wait() == 1 and "no meta/info.json" in missing.text
    evaluation = run_lr(*record_args(follower, leader, tmp_path / "e", repo="me/eval_pick"))
    assert evaluation.wait() == 1 and "are for policy evaluations" in evaluation.text
    no_task = run_lr(*record_args(follower, leader, tmp_path / "t"), "--dataset.single_task=")
    assert no_task.wait() == 1 and "--dataset.single_task" in no_task.text


def test_the_repo_id_is_stamped_as_lerobot_does(run_lr, calibrated_so101, tmp_path, record_args):
    follower, leader = calibrated_so101
    args = [a for a in record_args(follower, leader, tmp_path / "s", "--dataset.num_episodes=1")
            if a != "--dataset.no_stamp=true"]  # fmt: skip
    proc = run_lr(*args)
    assert proc.wait(timeout=120) == 0, proc.text
    stamped = proc.text.split("(me/pick_", 1)[1].split(")", 1)[0]
    assert len(stamped) == len("20260101_120000") and stamped[8] == "_"


@pytest.mark.parametrize(("policy", "kept"), [("discard", 0), ("save", 1)], ids=["discard", "save"])
def test_ctrl_c_ends_the_episode_in_flight_and_leaves_the_arm_safe(
    run_lr, calibrated_so101, tmp_path, policy, kept, record_args
):
    follower, leader = calibrated_so101
    root = tmp_path / "pick"
    proc = run_lr(*record_args(follower, leader, root, "--dataset.episode_time_s=30",
                               f"--on_interrupt={policy}"))  # fmt: skip
    proc.expect("Recording episode 0", timeout=60)
    time.sleep(1.0)
    proc.signal(signal.SIGINT)
    assert proc.wait(timeout=60) == 0, proc.text
    assert "stopped by Ctrl-C" in proc.text
    assert ("was saved" if kept else "was discarded") in proc.text
    if kept:
        assert LeRobotDatasetMetadata("me/pick", root=root).total_episodes == kept
    else:  # a new dataset with nothing in it is not left behind to block a retry
        assert "Nothing was recorded" in proc.text and not root.exists()
    for motor, state in follower.state().items():
        assert state["torque"] is False, motor
    if kept:
        assert len(LeRobotDataset("me/pick", root=root)) > 5


def test_push_to_a_local_hub_at_the_end(
    run_lr, calibrated_so101, tmp_path, monkeypatch, record_args
):
    from lr_dataset.local_hub import LocalHub

    follower, leader = calibrated_so101
    with LocalHub() as hub:
        monkeypatch.setenv("HF_ENDPOINT", hub.url)
        monkeypatch.setenv("HF_TOKEN", "hf_local")
        monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
        args = [a for a in record_args(follower, leader, tmp_path / "p", "--dataset.num_episodes=1")
                if a != "--dataset.push_to_hub=false"]  # fmt: skip
        proc = run_lr(*args, '--dataset.tags=["so101", "tabletop"]')
        assert proc.wait(timeout=120) == 0, proc.text
        assert "Pushed:" in proc.text
        assert "v3.0" in hub.tags("me/pick")
        card = hub.files("me/pick")["README.md"].decode()
        assert "- LeRobot" in card and '- "so101"' in card and '- "tabletop"' in card
        assert json.loads(hub.files("me/pick")["meta/info.json"])["total_episodes"] == 1


def test_an_uncalibrated_arm_without_a_terminal_is_a_clear_error(
    run_lr, calibrated_so101, calibration_home, tmp_path, record_args
):
    from lr_core.motors import MotorCalibration, save_calibration
    from lr_motors.presets import robot_motors

    follower, leader = calibrated_so101
    # the file says 1100..2900, the motors hold 1000..3000: lr asks whether to write it
    other = {
        name: MotorCalibration(id=m.id, drive_mode=0, homing_offset=0, range_min=1100,
                               range_max=2900)
        for name, m in robot_motors("so101").motors.items()
    }  # fmt: skip
    save_calibration(calibration_home / "robots/so_follower/black.json", other)
    proc = run_lr(*record_args(follower, leader, tmp_path / "pick"))
    proc.proc.stdin.close()  # nobody there to answer (a service, a pipe)
    assert proc.wait(timeout=60) == 1
    assert "no terminal to answer the calibration prompts" in proc.text
    assert "Traceback" not in proc.text and not (tmp_path / "pick").exists()


def test_record_images_instead_of_video(run_lr, calibrated_so101, tmp_path, record_args):
    follower, leader = calibrated_so101
    root = tmp_path / "png"
    proc = run_lr(*record_args(follower, leader, root, "--dataset.num_episodes=1",
                               "--dataset.video=false"))  # fmt: skip
    assert proc.wait(timeout=120) == 0, proc.text
    ds = LeRobotDataset("me/pick", root=root)
    assert ds.meta.features["observation.images.front"].dtype == "image"
    assert not (root / "videos").exists()
    assert tuple(ds[0]["observation.images.front"].shape) == (3, 48, 64)
