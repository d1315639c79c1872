"""``lr calibrate`` / ``lr teleoperate`` / ``lr replay`` end to end: subprocesses driving
emulated servos over ptys, as a person at a terminal would."""

from __future__ import annotations

import json
import signal
import time

import pytest

from lr_core.motors import load_calibration

SO101_FOLLOWER = "--robot.type=so101_follower"
SO101_LEADER = "--teleop.type=so101_leader"
BODY = ("shoulder_pan", "shoulder_lift", "elbow_flex", "wrist_flex", "gripper")


def sweep(emu, positions: dict[str, list[int]], pause: float = 0.06) -> None:
    """Move joints step by step (the recorder polls every 20 ms)."""
    steps = max(len(p) for p in positions.values())
    for i in range(steps):
        for name, path in positions.items():
            emu.move(name, path[min(i, len(path) - 1)])
        time.sleep(pause)


@pytest.mark.parametrize("kind", ["robot", "teleop"])
def test_calibrate_records_homing_and_ranges_and_saves_a_lerobot_file(
    run_lr, calibration_home, so101_follower_emu, kind
):
    emu = so101_follower_emu
    device = (
        [SO101_FOLLOWER, f"--robot.port={emu.port}", "--robot.id=black"]
        if kind == "robot"
        else [SO101_LEADER, f"--teleop.port={emu.port}", "--teleop.id=blue"]
    )
    emu.move("elbow_flex", 2500)  # raw position at rest, before homing
    emu.move("wrist_roll", 4095)  # the full-turn joint one tick before the seam (issue 10 F2)
    proc = run_lr("calibrate", *device)
    proc.expect("middle of its range of motion")
    proc.send()
    proc.expect("Press ENTER to stop")
    # after homing every joint reads 2047 (wrist_roll 2048); move each through its range
    sweep(emu, {name: [2047, 1500, 1000, 1500, 2500, 3100, 2600] for name in BODY})
    proc.send()
    proc.expect("Calibration saved to")
    assert proc.wait() == 0, proc.text
    folder = "robots/so_follower" if kind == "robot" else "teleoperators/so_leader"
    path = calibration_home / folder / ("black.json" if kind == "robot" else "blue.json")
    cal = load_calibration(path)
    assert cal["elbow_flex"].homing_offset == 2500 - 2047
    assert (cal["elbow_flex"].range_min, cal["elbow_flex"].range_max) == (1000, 3100)
    assert (cal["wrist_roll"].range_min, cal["wrist_roll"].range_max) == (0, 4095)
    assert cal["wrist_roll"].homing_offset == 2047
    assert list(json.loads(path.read_text())["gripper"]) == [
        "id", "drive_mode", "homing_offset", "range_min", "range_max"
    ]  # fmt: skip
    assert emu.register("elbow_flex", "Min_Position_Limit") == 1000
    assert emu.register("elbow_flex", "Torque_Enable") == 0  # left with torque off


def test_calibrate_reuses_an_existing_file_with_enter(run_lr, calibrated_so101):
    follower, _ = calibrated_so101
    follower.set_register("gripper", "Max_Position_Limit", 4095)  # motors disagree with the file
    proc = run_lr("calibrate", SO101_FOLLOWER, f"--robot.port={follower.port}", "--robot.id=black")
    proc.expect("Press ENTER to use provided calibration file")
    proc.send()
    assert proc.wait() == 0, proc.text
    assert follower.register("gripper", "Max_Position_Limit") == 3000


def test_calibrate_needs_exactly_one_device(run_lr):
    proc = run_lr("calibrate")
    assert proc.wait() == 1
    assert "choose either a robot" in proc.text


def test_teleoperate_moves_the_follower_and_prints_loop_statistics(run_lr, calibrated_so101):
    follower, leader = calibrated_so101
    proc = run_lr(
        "teleoperate", SO101_FOLLOWER, f"--robot.port={follower.port}", "--robot.id=black",
        SO101_LEADER, f"--teleop.port={leader.port}", "--teleop.id=blue",
        "--fps=50", "--teleop_time_s=3",
    )  # fmt: skip
    proc.expect("connected", timeout=30)
    leader.move("elbow_flex", 2600)
    leader.move("gripper", 1200)
    deadline = time.monotonic() + 10
    while follower.state()["elbow_flex"]["present"] != 2600:
        assert time.monotonic() < deadline, proc.text
        time.sleep(0.05)
    assert follower.register("gripper", "Goal_Position") == 1200
    assert proc.wait() == 0, proc.text
    assert "teleoperate at 50 Hz target:" in proc.text and "Hz achieved" in proc.text
    assert "p99" in proc.text
    assert follower.register("elbow_flex", "Torque_Enable") == 0  # torque off at the end


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_teleoperate_stops_on_ctrl_c_and_signals_with_torque_off(run_lr, calibrated_so101, sig):
    follower, leader = calibrated_so101
    proc = run_lr(
        "teleoperate", SO101_FOLLOWER, f"--robot.port={follower.port}", "--robot.id=black",
        SO101_LEADER, f"--teleop.port={leader.port}", "--teleop.id=blue", "--fps=60",
    )  # fmt: skip
    proc.expect("connected")
    deadline = time.monotonic() + 10
    while follower.register("elbow_flex", "Torque_Enable") != 1:
        assert time.monotonic() < deadline, proc.text
        time.sleep(0.05)
    time.sleep(0.3)
    proc.signal(sig)
    assert proc.wait() == 0, proc.text
    assert "Hz achieved" in proc.text
    name = {signal.SIGINT: "Ctrl-C", signal.SIGTERM: "SIGTERM", signal.SIGHUP: "SIGHUP"}[sig]
    assert f"stopped by {name}" in proc.text
    for motor, state in follower.state().items():
        assert state["torque"] is False, motor


def test_teleoperate_can_leave_the_follower_holding(run_lr, calibrated_so101, register_becomes):
    follower, leader = calibrated_so101
    proc = run_lr(
        "teleoperate", SO101_FOLLOWER, f"--robot.port={follower.port}", "--robot.id=black",
        "--robot.disable_torque_on_disconnect=false",
        SO101_LEADER, f"--teleop.port={leader.port}", "--teleop.id=blue", "--fps=60",
    )  # fmt: skip
    proc.expect("connected")
    leader.move("elbow_flex", 2300)
    time.sleep(1.0)
    proc.signal(signal.SIGTERM)
    assert proc.wait() == 0, proc.text
    state = follower.state()
    assert all(s["torque"] for s in state.values())
    register_becomes(follower, "elbow_flex", "Goal_Position", state["elbow_flex"]["present"])
    assert "holding its position" in proc.text


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param({"no_reply": -1}, id="no-reply"),
        pytest.param({"corrupt": -1}, id="bad-checksum"),
        pytest.param("detach", id="missing-servo"),
    ],
)
def test_a_faulted_follower_motor_stops_teleoperation_naming_motor_port_and_arm(
    run_lr, calibrated_so101, fault
):
    follower, leader = calibrated_so101
    proc = run_lr(
        "teleoperate", SO101_FOLLOWER, f"--robot.port={follower.port}", "--robot.id=black",
        SO101_LEADER, f"--teleop.port={leader.port}", "--teleop.id=blue", "--fps=60",
    )  # fmt: skip
    proc.expect("connected")
    time.sleep(0.5)
    if fault == "detach":
        follower.detach("wrist_flex")
    else:
        follower.inject("wrist_flex", **fault)
    assert proc.wait() == 1, proc.text
    text = proc.text
    assert "'wrist_flex' (id 4)" in text, text
    assert follower.port in text and "so_follower 'black'" in text
    assert "torque disabled on every motor that answered" in text
    for motor, state in follower.state().items():
        if motor != "wrist_flex":
            assert state["torque"] is False, motor


def test_a_missing_motor_at_connect_is_named_and_the_arm_left_safe(run_lr, calibrated_so101):
    follower, leader = calibrated_so101
    follower.detach("gripper")
    follower.set_register("elbow_flex", "Torque_Enable", 1)
    proc = run_lr(
        "teleoperate", SO101_FOLLOWER, f"--robot.port={follower.port}", "--robot.id=black",
        SO101_LEADER, f"--teleop.port={leader.port}", "--teleop.id=blue",
    )  # fmt: skip
    assert proc.wait() == 1, proc.text
    assert "gripper (id 6, sts3215): no answer" in proc.text
    assert "so_follower 'black'" in proc.text and follower.port in proc.text
    assert follower.register("elbow_flex", "Torque_Enable") == 0


@pytest.fixture
def recorded_dataset(tmp_path):
    """A two-episode SO-101 dataset: episode 1 drives elbow_flex from 0 to 40 degrees and the
    gripper to 90, at 30 fps."""
    import numpy as np

    from lr_core.features import hw_to_dataset_features
    from lr_dataset.dataset import LeRobotDataset
    from lr_robots.robots.so_follower import SO101Follower, SO101FollowerConfig

    robot = SO101Follower(SO101FollowerConfig(port="/dev/null", id="any"))
    features = {
        **hw_to_dataset_features(robot.action_features, "action"),
        **hw_to_dataset_features(robot.observation_features, "observation"),
    }
    root = tmp_path / "pick"
    ds = LeRobotDataset.create("local/pick", 30, features, root=root, robot_type="so_follower")
    for elbow_end, gripper in [(-10.0, 20.0), (40.0, 90.0)]:
        for i in range(30):
            action = np.zeros(6, np.float32)
            action[2] = elbow_end * i / 29
            action[5] = gripper
            ds.add_frame({"action": action, "observation.state": action.copy(), "task": "pick"})
        ds.save_episode()
    ds.finalize()
    return root


def test_replay_sends_an_episode_at_the_dataset_fps(run_lr, calibrated_so101, recorded_dataset,
                                                    register_becomes):  # fmt: skip
    follower, _ = calibrated_so101
    proc = run_lr(
        "replay", SO101_FOLLOWER, f"--robot.port={follower.port}", "--robot.id=black",
        f"--dataset.root={recorded_dataset}", "--dataset.episode=1",
    )  # fmt: skip
    assert proc.wait() == 0, proc.text
    assert "Replaying episode 1: 30 actions at 30.0 fps" in proc.text
    # every action sent once; its pacing on the 30 fps grid is checked on a fake clock
    # (tests/control/test_loops.py), never as a measured rate here
    assert "replayed 30/30 actions: 30 loops" in proc.text
    # the last action: elbow at +40 degrees from mid-range (2000), gripper at 90 %
    register_becomes(follower, "elbow_flex", "Goal_Position", int(40 * 4095 / 360 + 2000))
    register_becomes(follower, "gripper", "Goal_Position", int(0.9 * 2000 + 1000))
    assert follower.register("elbow_flex", "Torque_Enable") == 0


def test_replay_honours_max_relative_target(run_lr, calibrated_so101, recorded_dataset):
    follower, _ = calibrated_so101
    proc = run_lr(
        "replay", SO101_FOLLOWER, f"--robot.port={follower.port}", "--robot.id=black",
        "--robot.max_relative_target=1.0",
        f"--dataset.root={recorded_dataset}", "--dataset.episode=1",
    )  # fmt: skip
    assert proc.wait() == 0, proc.text
    assert "Relative goal position magnitude had to be clamped" in proc.text
    # 30 steps of at most 1 degree (follower lagging behind): far from the recorded 40 degrees
    goal = follower.register("elbow_flex", "Goal_Position")
    assert goal < int(31 * 4095 / 360 + 2048)


def test_replay_names_a_missing_episode(run_lr, calibrated_so101, recorded_dataset):
    follower, _ = calibrated_so101
    proc = run_lr(
        "replay", SO101_FOLLOWER, f"--robot.port={follower.port}", "--robot.id=black",
        f"--dataset.root={recorded_dataset}", "--dataset.episode=7",
    )  # fmt: skip
    assert proc.wait() == 1
    assert "--dataset.episode=7" in proc.text and "episodes 0..1" in proc.text


def test_teleoperate_with_a_synthetic_camera(run_lr, calibrated_so101):
    follower, leader = calibrated_so101
    proc = run_lr(
        "teleoperate", SO101_FOLLOWER, f"--robot.port={follower.port}", "--robot.id=black",
        '--robot.cameras={"front": {"type": "synthetic", "width": 160, "height": 120}}',
        SO101_LEADER, f"--teleop.port={leader.port}", "--teleop.id=blue",
        "--fps=30", "--teleop_time_s=1.5",
    )  # fmt: skip
    assert proc.wait() == 0, proc.text
    assert "Hz achieved" in proc.text
