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
    with pytest.raises(
        MotorConfigError, match="known robots: hope_jr_arm, hope_jr_hand, koch, omx, so100, so101"
    ):
        robot_motors("so102")


PRESETS = [
    (robot, side)
    for robot in ROBOTS
    for side in SIDES
    if (robot, side) not in {("hope_jr_arm", "leader"), ("hope_jr_hand", "leader")}
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
