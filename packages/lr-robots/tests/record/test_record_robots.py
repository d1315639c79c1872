"""``lr record`` with the other arms: Dynamixel (OMX, factory calibration) and bimanual SO
(four buses, prefixed keys, nested flags); the dataset holds each robot's own features."""

from __future__ import annotations

import pytest

from lr_motors.emulator import ServoEmulator, robot_servos

LeRobotDataset = pytest.importorskip("lr_dataset.dataset").LeRobotDataset

COMMON = [
    "--dataset.single_task=test", "--dataset.num_episodes=1", "--dataset.episode_time_s=1",
    "--dataset.reset_time_s=0", "--dataset.push_to_hub=false", "--dataset.no_stamp=true",
    "--dataset.rgb_encoder.vcodec=h264",
]  # fmt: skip


@pytest.mark.slow
def test_record_an_omx_pair(run_lr, calibration_home, tmp_path):
    with (
        ServoEmulator(robot_servos("omx", "follower")) as follower,
        ServoEmulator(robot_servos("omx", "leader")) as leader,
    ):
        root = tmp_path / "omx"
        proc = run_lr(
            "record", "--robot.type=omx_follower", f"--robot.port={follower.port}",
            "--robot.id=f", "--teleop.type=omx_leader", f"--teleop.port={leader.port}",
            "--teleop.id=l", "--dataset.repo_id=me/omx", f"--dataset.root={root}", *COMMON,
        )  # fmt: skip
        assert proc.wait(timeout=120) == 0, proc.text
    ds = LeRobotDataset("me/omx", root=root)
    assert ds.meta.robot_type == "omx_follower" and ds.meta.total_episodes == 1
    assert len(ds.meta.features["action"].names) == 6 and len(ds) > 10


@pytest.mark.slow
def test_record_a_bimanual_so_pair(run_lr, calibration_home, calibrate_emulated, tmp_path):
    emus = [ServoEmulator(robot_servos("so101", side))
            for side in ("follower", "follower", "leader", "leader")]  # fmt: skip
    for emu in emus:
        emu.start()
    try:
        fl, fr, ll, lr_ = emus
        calibrate_emulated(fl, calibration_home / "robots/so_follower/bi_left.json")
        calibrate_emulated(fr, calibration_home / "robots/so_follower/bi_right.json")
        calibrate_emulated(ll, calibration_home / "teleoperators/so_leader/bl_left.json")
        calibrate_emulated(lr_, calibration_home / "teleoperators/so_leader/bl_right.json")
        ll.move("elbow_flex", 2500)
        root = tmp_path / "bi"
        proc = run_lr(
            "record", "--robot.type=bi_so_follower", "--robot.id=bi",
            f"--robot.left_arm_config.port={fl.port}", f"--robot.right_arm_config.port={fr.port}",
            '--robot.cameras={"top": {"type": "synthetic", "width": 48, "height": 32}}',
            "--teleop.type=bi_so_leader", "--teleop.id=bl",
            f"--teleop.left_arm_config.port={ll.port}",
            f"--teleop.right_arm_config.port={lr_.port}",
            "--dataset.repo_id=me/bi", f"--dataset.root={root}", *COMMON,
        )  # fmt: skip
        assert proc.wait(timeout=120) == 0, proc.text
    finally:
        for emu in emus:
            emu.stop()
    ds = LeRobotDataset("me/bi", root=root)
    names = ds.meta.features["action"].names
    assert names[0] == "left_shoulder_pan.pos" and names[6] == "right_shoulder_pan.pos"
    assert ds.meta.features["observation.images.top"].shape == (32, 48, 3)
    actions = ds.column("action", 0)
    assert abs(actions[-1, 2] - 500 * 360 / 4095) < 0.1  # the left leader's elbow
