"""``LeKiwi`` on the emulated bus: features, configuration, the base through the kinematics,
the arm's safety path, stopping, and LeRobot's calibration flow through ``lr calibrate``."""

from __future__ import annotations

import time

import pytest

from lr_core.errors import ConfigError, FeatureError
from lr_core.features import hw_to_dataset_features
from lr_core.motors import load_calibration
from lr_robots.robots.lekiwi import LeKiwi, LeKiwiConfig
from lr_robots.robots.lekiwi.kinematics import WHEELS, body_to_wheel_raw, wheel_raw_to_body

TICK = 360 / 4095
STATE = [
    "arm_shoulder_pan.pos", "arm_shoulder_lift.pos", "arm_elbow_flex.pos", "arm_wrist_flex.pos",
    "arm_wrist_roll.pos", "arm_gripper.pos", "x.vel", "y.vel", "theta.vel",
]  # fmt: skip


def make(emu, **fields) -> LeKiwi:
    return LeKiwi(LeKiwiConfig(port=emu.port, id="kiwi", cameras={}, **fields))


def signed(register: int) -> int:
    """A sign-magnitude (bit 15) register value as a number."""
    return -(register & 0x7FFF) if register & 0x8000 else register


def wheel_goals(emu) -> dict[str, int]:
    return {w: signed(emu.register(w, "Goal_Velocity")) for w in WHEELS}


def wait_for(check, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.005)


def test_features_work_disconnected_and_feed_dataset_features(calibration_home, fake_camera):
    cam = fake_camera(width=64, height=48, fps=30)
    robot = LeKiwi(LeKiwiConfig(port="/dev/null", id="x", cameras={"front": cam}))
    assert list(robot.action_features) == STATE
    assert list(robot.observation_features) == [*STATE, "front"]
    assert robot.observation_features["front"] == (48, 64, 3)
    features = hw_to_dataset_features(robot.observation_features, "observation")
    assert features["observation.state"].names == STATE
    assert robot.calibration_fpath == calibration_home / "robots/lekiwi/x.json"
    assert list(LeKiwiConfig().cameras) == ["front", "wrist"]  # LeRobot's default cameras
    assert LeKiwiConfig().cameras["wrist"].height == 640


def test_configure_puts_the_arm_in_position_mode_and_the_wheels_in_velocity_mode(kiwi):
    robot = make(kiwi)
    robot.connect()  # the registers hold the file: no prompt
    assert robot.is_calibrated
    for name in robot.arm_motors:
        assert kiwi.register(name, "Operating_Mode") == 0
        assert kiwi.register(name, "P_Coefficient") == 16
    for name in WHEELS:
        assert kiwi.register(name, "Operating_Mode") == 1
    assert all(s["torque"] for s in kiwi.state().values())
    obs = robot.get_observation()
    assert list(obs) == STATE
    assert obs["x.vel"] == obs["y.vel"] == obs["theta.vel"] == 0.0
    assert obs["arm_elbow_flex.pos"] == pytest.approx((2048 - 2000) * TICK)
    robot.disconnect()


@pytest.mark.parametrize(("x", "y", "theta"), [(0.1, 0.0, 0.0), (0.0, -0.15, 0.0),
                                                (0.05, 0.05, 45.0), (0.0, 0.0, -90.0)])  # fmt: skip
def test_body_velocities_drive_the_wheels_and_read_back(kiwi, x, y, theta):
    robot = make(kiwi)
    robot.connect()
    sent = robot.send_action({"x.vel": x, "y.vel": y, "theta.vel": theta})
    assert sent == {"x.vel": x, "y.vel": y, "theta.vel": theta}  # within the wheels' limit
    raw = body_to_wheel_raw(x, y, theta)
    wait_for(lambda: wheel_goals(kiwi) == raw)
    expected = wheel_raw_to_body(*(raw[w] for w in WHEELS))
    wait_for(lambda: robot.get_observation()["x.vel"] == pytest.approx(expected["x.vel"]))
    obs = robot.get_observation()
    for key, value in {"x.vel": x, "y.vel": y, "theta.vel": theta}.items():
        assert obs[key] == pytest.approx(expected[key])
        assert obs[key] == pytest.approx(value, abs=2e-3 if key != "theta.vel" else 0.3)
    robot.stop_base()
    wait_for(lambda: set(wheel_goals(kiwi).values()) == {0})
    robot.disconnect()


def test_too_fast_is_scaled_down_keeping_the_direction_and_returned(kiwi):
    robot = make(kiwi)
    robot.connect()
    sent = robot.send_action({"x.vel": 2.0, "y.vel": 1.0, "theta.vel": 0.0})
    raw = body_to_wheel_raw(2.0, 1.0, 0.0)
    assert max(abs(v) for v in raw.values()) == 3000
    assert sent["y.vel"] / sent["x.vel"] == pytest.approx(0.5)
    assert sent["x.vel"] < 0.3
    back = wheel_raw_to_body(*(raw[w] for w in WHEELS))
    assert back["x.vel"] == pytest.approx(sent["x.vel"], abs=1e-4)  # what the wheels do
    wait_for(lambda: wheel_goals(kiwi) == raw)
    robot.disconnect()


def test_arm_goals_are_clamped_and_a_missing_base_velocity_is_a_stop(kiwi):
    robot = make(kiwi)
    robot.connect()
    robot.send_action({"x.vel": 0.1, "y.vel": 0.0, "theta.vel": 0.0})
    wait_for(lambda: wheel_goals(kiwi)["base_left_wheel"] != 0)
    sent = robot.send_action({"arm_elbow_flex.pos": 500.0, "arm_gripper.pos": -5.0})
    stopped = {"x.vel": 0.0, "y.vel": 0.0, "theta.vel": 0.0}
    elbow = pytest.approx((3000 - 2000) * TICK)
    assert sent == {"arm_elbow_flex.pos": elbow, "arm_gripper.pos": 0.0, **stopped}
    wait_for(lambda: kiwi.register("arm_elbow_flex", "Goal_Position") == 3000)
    wait_for(lambda: set(wheel_goals(kiwi).values()) == {0})
    robot.disconnect()


def test_max_relative_target_caps_the_arm_only(kiwi):
    with pytest.raises(ConfigError, match="missing"):
        make(kiwi, max_relative_target={"arm_elbow_flex": 5.0})
    robot = make(kiwi, max_relative_target=5.0)
    robot.connect()
    present = robot.get_observation()
    sent = robot.send_action({"arm_elbow_flex.pos": 60.0, "x.vel": 0.2})
    assert sent["arm_elbow_flex.pos"] == pytest.approx(present["arm_elbow_flex.pos"] + 5)
    assert sent["x.vel"] == 0.2
    robot.disconnect()


@pytest.mark.parametrize(
    "action",
    [{"x.vel": float("nan")}, {"theta.vel": "fast"}, {"z.vel": 1.0},
     {"base_left_wheel.pos": 1.0}, {"arm_elbow_flex.pos": float("inf"), "x.vel": 0.1}],
)  # fmt: skip
def test_bad_actions_are_refused_before_anything_is_sent(kiwi, action):
    robot = make(kiwi)
    robot.connect()
    robot.get_observation()  # a read answers after every earlier write was handled
    before = kiwi.stats()["requests"]
    with pytest.raises(FeatureError, match="lekiwi 'kiwi'"):
        robot.send_action(action)
    assert kiwi.stats()["requests"] == before
    robot.disconnect()


def test_disconnect_stops_the_wheels_then_disables_torque(kiwi):
    robot = make(kiwi)
    robot.connect()
    robot.send_action({"x.vel": 0.2, "y.vel": 0.0, "theta.vel": 30.0})
    wait_for(lambda: any(wheel_goals(kiwi).values()))
    robot.disconnect()
    assert set(wheel_goals(kiwi).values()) == {0}
    assert not any(s["torque"] for s in kiwi.state().values())


def test_hold_on_disconnect_stops_the_wheels_and_keeps_the_arm(kiwi):
    robot = make(kiwi, disable_torque_on_disconnect=False)
    robot.connect()
    robot.send_action({"x.vel": 0.0, "y.vel": 0.1, "theta.vel": 0.0})
    wait_for(lambda: any(wheel_goals(kiwi).values()))
    robot.disconnect()
    assert set(wheel_goals(kiwi).values()) == {0}
    assert all(s["torque"] for s in kiwi.state().values())


def test_a_faulted_wheel_is_named_and_the_robot_left_safe(kiwi):
    robot = make(kiwi)
    robot.connect()
    kiwi.inject("base_back_wheel", no_reply=-1)
    with pytest.raises(Exception, match="base_back_wheel") as info:
        robot.get_observation()
    assert "lekiwi 'kiwi'" in str(info.value)
    with pytest.raises(Exception, match="base_back_wheel"):
        robot.disconnect()  # every motor that answers is off; the fault is reported
    state = kiwi.state()
    assert not any(s["torque"] for n, s in state.items() if n != "base_back_wheel")


def test_lr_calibrate_runs_lerobots_lekiwi_procedure(calibration_home, lekiwi_emu, run_lr):
    emu = lekiwi_emu
    emu.move("arm_elbow_flex", 2900)
    emu.move("base_left_wheel", 1234)  # wheels keep their position: no homing
    proc = run_lr("calibrate", "--robot.type=lekiwi", f"--robot.port={emu.port}",
                  "--robot.id=kiwi", "--robot.cameras={}")  # fmt: skip
    proc.expect("middle of its range of motion", timeout=60)
    proc.send()
    proc.expect("Press ENTER to stop", timeout=60)
    arm = ["arm_shoulder_pan", "arm_shoulder_lift", "arm_elbow_flex", "arm_wrist_flex",
           "arm_gripper"]  # fmt: skip
    for position in (2047, 1500, 1000, 1500, 2500, 3100, 2600):
        for name in arm:
            emu.move(name, position)
        time.sleep(0.06)
    proc.send()
    proc.expect("Calibration saved to", timeout=60)
    assert proc.wait() == 0, proc.text
    cal = load_calibration(calibration_home / "robots/lekiwi/kiwi.json")
    assert list(cal) == [*(key.removesuffix(".pos") for key in STATE[:6]), *WHEELS]
    assert cal["arm_elbow_flex"].homing_offset == 2900 - 2047
    assert (cal["arm_elbow_flex"].range_min, cal["arm_elbow_flex"].range_max) == (1000, 3100)
    for name in ("arm_wrist_roll", *WHEELS):
        assert (cal[name].range_min, cal[name].range_max) == (0, 4095), name
    for name in WHEELS:
        assert cal[name].homing_offset == 0
        assert cal[name].drive_mode == 0
    assert emu.register("base_left_wheel", "Homing_Offset") == 0
