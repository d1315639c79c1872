from __future__ import annotations

import pytest

from lr_core.motors import MotorNormMode
from lr_motors.errors import MotorConfigError
from lr_motors.presets import JOINTS, ROBOTS, SIDES, robot_motors


def test_arms_match_lerobot():
    so = robot_motors("so101", "follower")
    assert so.vendor == "feetech"
    assert [(n, m.id, m.model) for n, m in so.motors.items()] == [
        (n, i + 1, "sts3215") for i, n in enumerate(JOINTS)
    ]
    assert so.motors["gripper"].norm_mode is MotorNormMode.RANGE_0_100
    assert so.motors["elbow_flex"].norm_mode is MotorNormMode.DEGREES
    koch = robot_motors("koch", "follower").motors
    assert [m.model for m in koch.values()] == ["xl430-w250"] * 2 + ["xl330-m288"] * 4
    assert koch["wrist_roll"].norm_mode is MotorNormMode.RANGE_M100_100
    assert {m.model for m in robot_motors("koch", "leader").motors.values()} == {"xl330-m077"}


def test_unknown_robot_names_the_known_ones():
    known = "known robots: hope_jr_arm, hope_jr_hand, koch, lekiwi, omx, so100, so101"
    with pytest.raises(MotorConfigError, match=known):
        robot_motors("so102")


NO_LEADER = {"hope_jr_arm", "hope_jr_hand", "lekiwi"}
PRESETS = [
    (robot, side)
    for robot in ROBOTS
    for side in SIDES
    if not (robot in NO_LEADER and side == "leader")
]


@pytest.mark.parametrize(("robot", "side"), PRESETS, ids=[f"{r}-{s}" for r, s in PRESETS])
def test_every_preset_is_emulated_and_passes_the_handshake(robot, side):
    from lr_motors.cli import bus_class
    from lr_motors.emulator import ServoEmulator, robot_servos

    preset = robot_motors(robot, side)
    protocol = {"protocol_version": 1} if robot == "hope_jr_hand" else {}
    with ServoEmulator(robot_servos(robot, side)) as emu:
        bus = bus_class(preset.vendor)(emu.port, preset.motors, **protocol)
        bus.connect()  # pings every motor and checks its model number
        for name, motor in preset.motors.items():
            assert bus.ping(name) == bus.model_number_table[motor.model]
        bus.disconnect()


def test_hope_jr_uses_the_new_feetech_models():
    arm = robot_motors("hope_jr_arm").motors
    assert arm["shoulder_pitch"].model == "sm8512bl"
    assert {m.model for n, m in arm.items() if n != "shoulder_pitch"} == {"sts3250"}
    assert {m.model for m in robot_motors("hope_jr_hand").motors.values()} == {"scs0009"}
    assert [m.id for m in robot_motors("omx").motors.values()] == list(range(11, 17))


def test_lekiwi_is_an_so_arm_and_three_wheels_on_one_bus():
    lekiwi = robot_motors("lekiwi")
    assert lekiwi.vendor == "feetech"
    assert [(n, m.id) for n, m in lekiwi.motors.items()] == [
        *((f"arm_{n}", i + 1) for i, n in enumerate(JOINTS)),
        ("base_left_wheel", 7), ("base_back_wheel", 8), ("base_right_wheel", 9),
    ]  # fmt: skip
    assert {m.model for m in lekiwi.motors.values()} == {"sts3215"}
    assert lekiwi.motors["arm_gripper"].norm_mode is MotorNormMode.RANGE_0_100
    assert lekiwi.motors["base_back_wheel"].norm_mode is MotorNormMode.RANGE_M100_100
    # LeRobot's LeKiwi.setup_motors order: the arm from the gripper down, then the wheels
    assert lekiwi.motors_to_set_up() == [
        "arm_gripper", "arm_wrist_roll", "arm_wrist_flex", "arm_elbow_flex",
        "arm_shoulder_lift", "arm_shoulder_pan",
        "base_right_wheel", "base_back_wheel", "base_left_wheel",
    ]  # fmt: skip
    assert robot_motors("so101").motors_to_set_up() == list(reversed(JOINTS))
