from __future__ import annotations

import re

from lr_motors.dynamixel.bus import DynamixelMotorsBus
from lr_motors.emulator import ServoEmulator, robot_servos
from lr_motors.feetech.bus import FeetechMotorsBus
from lr_motors.presets import robot_motors
from lr_motors.setup import setup_motors


def test_setup_motors_one_at_a_time_through_prompts():
    servos = robot_servos("so101", "follower", factory=True)
    with ServoEmulator(servos) as emu:
        prompts = []

        def plug_only_the_named_motor(prompt: str) -> str:
            prompts.append(prompt)
            name = re.search(r"'(\w+)' motor only", prompt).group(1)
            for servo in servos:
                emu.attach(servo.name, servo.name == name)
            return ""

        bus = FeetechMotorsBus(emu.port, robot_motors("so101").motors)
        setup_motors(bus, input_fn=plug_only_the_named_motor, print_fn=lambda line: None)
        assert "'gripper'" in prompts[0]
        for servo in servos:
            emu.attach(servo.name)
        state = emu.state()
        assert {n: s["id"] for n, s in state.items()} == {
            n: m.id for n, m in robot_motors("so101").motors.items()
        }
        bus.disconnect(disable_torque=False)
        bus = FeetechMotorsBus(emu.port, robot_motors("so101").motors)
        bus.connect()  # every motor now answers at its id
        bus.disconnect()


def test_koch_setup_with_the_one_at_a_time_emulator():
    # two motors only: each dynamixel-sdk broadcast ping waits ~1.4 s at 57600 bps
    motors = {n: m for n, m in robot_motors("koch", "leader").motors.items() if m.id >= 5}
    servos = [s for s in robot_servos("koch", "leader", factory=True) if s.name in motors]
    with ServoEmulator(servos, one_at_a_time=True) as emu:
        bus = DynamixelMotorsBus(emu.port, motors)
        for name in reversed(list(motors)):
            bus.setup_motor(name, initial_baudrate=57_600)
        bus.disconnect(disable_torque=False)
        for name in motors:
            emu.attach(name)
        bus.connect()
        bus.disconnect()


def test_lekiwi_setup_goes_in_lerobots_order_with_the_one_at_a_time_emulator():
    preset = robot_motors("lekiwi")
    with ServoEmulator(robot_servos("lekiwi", factory=True), one_at_a_time=True) as emu:
        prompts: list[str] = []
        bus = FeetechMotorsBus(emu.port, preset.motors)
        setup_motors(bus, input_fn=prompts.append, print_fn=lambda line: None,
                     order=preset.motors_to_set_up())  # fmt: skip
        asked = [re.search(r"'(\w+)' motor only", p).group(1) for p in prompts]
        assert asked == preset.motors_to_set_up()
        for name in preset.motors:
            emu.attach(name)
        assert {n: s["id"] for n, s in emu.state().items()} == {
            n: m.id for n, m in preset.motors.items()
        }
        bus.disconnect(disable_torque=False)
