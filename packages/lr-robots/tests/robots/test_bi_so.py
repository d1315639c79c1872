"""Bimanual SO arms on four emulated buses: prefixes, per-arm ids and calibration files,
shared cameras, lr teleoperate with nested flags, and all-or-nothing connect."""

from __future__ import annotations

import pytest

from lr_core.errors import ConfigError
from lr_motors.emulator import ServoEmulator, robot_servos
from lr_motors.errors import MotorsNotFoundError
from lr_robots.robots.bi_so_follower import BiSOFollower, BiSOFollowerConfig


@pytest.fixture
def four_arms(calibration_home, calibrate_emulated):
    emus = [
        ServoEmulator(robot_servos("so101", side)) for side in ("follower",) * 2 + ("leader",) * 2
    ]
    for emu in emus:
        emu.start()
    fl, fr, ll, lr_ = emus
    calibrate_emulated(fl, calibration_home / "robots/so_follower/bi_left.json")
    calibrate_emulated(fr, calibration_home / "robots/so_follower/bi_right.json")
    calibrate_emulated(ll, calibration_home / "teleoperators/so_leader/bl_left.json")
    calibrate_emulated(lr_, calibration_home / "teleoperators/so_leader/bl_right.json")
    yield fl, fr, ll, lr_
    for emu in emus:
        emu.stop()


def test_features_prefixes_and_shared_cameras(calibration_home, fake_camera, four_arms):
    fl, fr, _, _ = four_arms
    robot = BiSOFollower(
        BiSOFollowerConfig(
            id="bi",
            left_arm_config={"port": fl.port, "cameras": {"wrist": fake_camera(width=8, height=6)}},
            right_arm_config={
                "port": fr.port,
                "cameras": {"wrist": fake_camera(width=8, height=6)},
            },
            cameras={"top": fake_camera(width=16, height=12)},
        )
    )
    features = robot.observation_features
    assert list(features)[:2] == ["left_shoulder_pan.pos", "left_shoulder_lift.pos"]
    assert features["left_wrist"] == (6, 8, 3) and features["right_wrist"] == (6, 8, 3)
    assert features["top"] == (12, 16, 3)  # shared: no prefix
    assert list(robot.action_features)[6] == "right_shoulder_pan.pos"
    assert robot.left_arm.id == "bi_left" and robot.right_arm.id == "bi_right"
    assert robot.left_arm.calibration_fpath == calibration_home / "robots/so_follower/bi_left.json"
    robot.connect()
    obs = robot.get_observation()
    assert set(obs) == set(features)
    sent = robot.send_action({"left_elbow_flex.pos": 500.0, "right_gripper.pos": 50.0})
    assert set(sent) == {"left_elbow_flex.pos", "right_gripper.pos"}
    assert sent["left_elbow_flex.pos"] == pytest.approx((3000 - 2000) * 360 / 4095)  # clamped
    robot.disconnect()
    with pytest.raises(ConfigError, match="collide"):
        BiSOFollower(
            BiSOFollowerConfig(
                left_arm_config={"port": "x", "cameras": {"top": fake_camera(width=1, height=1)}},
                right_arm_config={"port": "y"},
                cameras={"top": fake_camera(width=1, height=1)},
            )
        )


def test_bimanual_teleoperation_through_the_cli(run_lr, four_arms):
    fl, fr, ll, lr_ = four_arms
    proc = run_lr(
        "teleoperate", "--robot.type=bi_so_follower", "--robot.id=bi",
        f"--robot.left_arm_config.port={fl.port}", f"--robot.right_arm_config.port={fr.port}",
        "--teleop.type=bi_so_leader", "--teleop.id=bl",
        f"--teleop.left_arm_config.port={ll.port}", f"--teleop.right_arm_config.port={lr_.port}",
        "--fps=30", "--teleop_time_s=2.5",
    )  # fmt: skip
    proc.expect("connected", timeout=30)
    ll.move("elbow_flex", 2600)
    lr_.move("elbow_flex", 1400)
    assert proc.wait() == 0, proc.text
    assert fl.register("elbow_flex", "Goal_Position") == 2600
    assert fr.register("elbow_flex", "Goal_Position") == 1400
    assert not any(s["torque"] for emu in (fl, fr) for s in emu.state().values())


def test_connect_is_all_or_nothing(four_arms):
    fl, fr, _, _ = four_arms
    fr.detach("gripper")
    robot = BiSOFollower(
        BiSOFollowerConfig(
            id="bi",
            left_arm_config={"port": fl.port},
            right_arm_config={"port": fr.port},
        )
    )
    with pytest.raises(MotorsNotFoundError, match=r"(?s)so_follower 'bi_right'.*gripper \(id 6"):
        robot.connect()
    assert not robot.left_arm.bus.is_connected  # the left arm was let go of again
    assert not any(s["torque"] for s in fl.state().values())


def test_lr_calibrate_a_bimanual_robot_asks_for_each_arm(run_lr, four_arms):
    fl, fr, _, _ = four_arms
    fl.set_register("gripper", "Min_Position_Limit", 0)  # the motors lost the left calibration
    proc = run_lr("calibrate", "--robot.type=bi_so_follower", "--robot.id=bi",
                  f"--robot.left_arm_config.port={fl.port}",
                  f"--robot.right_arm_config.port={fr.port}")  # fmt: skip
    proc.expect("associated with the id bi_left")
    proc.send()
    proc.expect("associated with the id bi_right")
    proc.send()
    assert proc.wait() == 0, proc.text
    assert fl.register("gripper", "Min_Position_Limit") == 1000
