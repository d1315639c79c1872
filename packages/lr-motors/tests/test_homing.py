"""Half-turn homing and calibration writes: every raw position homes on every model, and
multi-motor EEPROM procedures check every value before the first write (issue 10, F2)."""

from __future__ import annotations

import pytest

from lr_core.errors import CalibrationError
from lr_core.motors import Motor, MotorCalibration, MotorNormMode
from lr_motors.calibration import calibrate
from lr_motors.dynamixel import tables as dxl_tables
from lr_motors.dynamixel.bus import DynamixelMotorsBus
from lr_motors.emulator import ServoEmulator, ServoSpec
from lr_motors.errors import MotorConfigError
from lr_motors.feetech import tables as ft_tables
from lr_motors.feetech.bus import FeetechMotorsBus
from lr_motors.presets import robot_motors

HOMING_FEETECH = [
    m for m in ft_tables.MODELS if "Homing_Offset" in ft_tables.MODEL_CONTROL_TABLE[m]
]
SEAM = [0, 1, 2, 2047, 2048, 4093, 4094, 4095]


def _one_motor_bus(cls: type, model: str, **kwargs: object):
    motors = {"j": Motor(id=1, model=model, norm_mode=MotorNormMode.DEGREES)}
    return cls("/dev/null", motors, **kwargs)


@pytest.mark.parametrize("model", HOMING_FEETECH)
def test_every_raw_position_homes_on_every_feetech_model(model):
    bus = _one_motor_bus(FeetechMotorsBus, model)
    res = ft_tables.MODEL_RESOLUTION[model]
    lo, hi = bus.register_limits("j", "Homing_Offset")
    for raw in range(res):
        offset = bus._half_turn_homing("j", raw)
        assert lo <= offset <= hi, (raw, offset)
        bus.plan([("j", "Homing_Offset", offset)])  # encodable
        present = (raw - offset) % res  # Feetech: Present = (actual - offset) mod resolution
        assert present in (2047, 2048), (raw, offset, present)
        assert present == 2047 or raw == 4095  # only the seam tick is one tick off


@pytest.mark.parametrize("model", dxl_tables.MODELS)
def test_every_raw_position_homes_on_every_dynamixel_model(model):
    bus = _one_motor_bus(DynamixelMotorsBus, model)
    for raw in range(dxl_tables.MODEL_RESOLUTION[model]):
        offset = bus._half_turn_homing("j", raw)
        bus.plan([("j", "Homing_Offset", offset)])
        assert raw + offset == 2047  # Dynamixel: Present = actual + offset


@pytest.mark.parametrize("model", HOMING_FEETECH)
def test_feetech_homing_across_the_seam_on_the_emulator(model):
    servos = [ServoSpec(f"j{i}", model, i + 1, position=raw) for i, raw in enumerate(SEAM)]
    motors = {s.name: Motor(id=s.id, model=model, norm_mode=MotorNormMode.DEGREES) for s in servos}
    with ServoEmulator(servos) as emu:
        bus = FeetechMotorsBus(emu.port, motors)
        bus.connect()
        bus.disable_torque()
        bus.write("Homing_Offset", "j3", -700, normalize=False)  # an old offset is accounted for
        offsets = bus.set_half_turn_homings()
        present = bus.sync_read("Present_Position", normalize=False)
        assert present == {s.name: 2048 if s.position == 4095 else 2047 for s in servos}
        assert offsets["j7"] == 2047
        assert bus.read_calibration()["j7"].homing_offset == 2047
        bus.disconnect()


@pytest.mark.parametrize("model", dxl_tables.MODELS)
def test_dynamixel_homing_across_the_seam_on_the_emulator(model):
    servos = [ServoSpec(f"j{i}", model, i + 1, position=raw) for i, raw in enumerate(SEAM)]
    motors = {s.name: Motor(id=s.id, model=model, norm_mode=MotorNormMode.DEGREES) for s in servos}
    with ServoEmulator(servos) as emu:
        bus = DynamixelMotorsBus(emu.port, motors)
        bus.connect()
        bus.disable_torque()
        for name in motors:  # as the Koch and OMX calibrations do
            bus.write("Operating_Mode", name, 4, normalize=False)
        bus.set_half_turn_homings()
        assert bus.sync_read("Present_Position", normalize=False) == dict.fromkeys(motors, 2047)
        bus.disconnect()


def test_dynamixel_position_mode_offsets_are_refused_before_any_write(koch):
    motors = robot_motors("koch").motors
    bus = DynamixelMotorsBus(koch.port, motors)
    bus.connect()
    bus.disable_torque()
    bus.write("Max_Position_Limit", "shoulder_pan", 3000, normalize=False)
    koch.move("elbow_flex", 3500)  # offset -1453: ignored in Position Control mode
    koch.move("wrist_flex", 0)  # offset 2047
    with pytest.raises(MotorConfigError) as info:
        bus.set_half_turn_homings()
    message = str(info.value)
    assert "elbow_flex (offset -1453)" in message and "wrist_flex (offset 2047)" in message
    assert "Extended Position" in message and koch.port in message
    assert koch.register("shoulder_pan", "Max_Position_Limit") == 3000  # nothing was written
    assert all(koch.register(n, "Homing_Offset") == 0 for n in motors)
    bus.disconnect()


def test_f2_wrist_roll_resting_at_4095_calibrates(so101):
    """The repro of issue 10 F2: a full-turn wrist roll at raw 4095."""
    motors = robot_motors("so101").motors
    bus = FeetechMotorsBus(so101.port, motors)
    bus.connect()
    bus.disable_torque()
    so101.move("wrist_roll", 4095)
    moves = iter([1500, 2600, None])

    def stop() -> bool:
        pos = next(moves)
        if pos is None:
            return True
        for name in motors:
            if name != "wrist_roll":
                so101.move(name, pos)
        return False

    cal = calibrate(bus, full_turn_motors=["wrist_roll"], prompt=lambda s: "", stop=stop,
                    on_update=None)  # fmt: skip
    assert cal["wrist_roll"].homing_offset == 2047
    assert bus.read_calibration() == cal
    bus.disconnect()


def test_write_calibration_checks_every_motor_before_the_first_write(so101):
    motors = robot_motors("so101").motors
    bus = FeetechMotorsBus(so101.port, motors)
    bus.connect()
    bus.disable_torque()
    good = {
        n: MotorCalibration(id=m.id, drive_mode=0, homing_offset=10, range_min=100, range_max=4000)
        for n, m in motors.items()
    }
    bad = dict(good) | {
        "gripper": good["gripper"].model_copy(update={"range_max": 5000}),
    }
    with pytest.raises(MotorConfigError) as info:
        bus.write_calibration(bad)
    message = str(info.value)
    assert "'gripper'" in message and "'Max_Position_Limit'" in message and "0..4095" in message
    assert so101.register("shoulder_pan", "Homing_Offset") == 0  # nothing written
    bad = dict(good) | {"elbow_flex": good["elbow_flex"].model_copy(update={"homing_offset": 2048})}
    with pytest.raises(MotorConfigError, match=r"'Homing_Offset' of motor 'elbow_flex'.*-2047"):
        bus.write_calibration(bad)
    bad = dict(good) | {"elbow_flex": good["elbow_flex"].model_copy(update={"id": 9})}
    with pytest.raises(CalibrationError, match="'elbow_flex' is for id 9"):
        bus.write_calibration(bad)
    with pytest.raises(MotorConfigError, match="no motor named 'elbow'"):
        bus.write_calibration({"elbow": good["elbow_flex"]})
    assert so101.register("shoulder_pan", "Homing_Offset") == 0
    assert bus.calibration == {}
    bus.write_calibration(good)
    assert bus.read_calibration() == good
    bus.disconnect()


def test_encoding_errors_name_motor_and_register(so101):
    bus = FeetechMotorsBus(so101.port, robot_motors("so101").motors)
    bus.connect()
    bus.disable_torque()
    with pytest.raises(MotorConfigError, match=r"'Homing_Offset' of motor 'elbow_flex' \(id 3"):
        bus.write("Homing_Offset", "elbow_flex", 3000, normalize=False)
    with pytest.raises(MotorConfigError, match=r"'Goal_Velocity' of motor 'gripper'.*encoded"):
        bus.write("Goal_Velocity", "gripper", 40000, normalize=False)
    bus.disconnect()


def test_servos_without_an_offset_register_are_refused_by_name():
    motors = {"a": Motor(id=1, model="scs0009", norm_mode=MotorNormMode.RANGE_0_100)}
    with ServoEmulator([ServoSpec("a", "scs0009", 1)]) as emu:
        bus = FeetechMotorsBus(emu.port, motors, protocol_version=1)
        bus.connect()
        bus.disable_torque()
        with pytest.raises(MotorConfigError, match=r"motors a .*scs0009.*no Homing_Offset"):
            bus.set_half_turn_homings()
        bus.reset_calibration()  # limits only
        assert bus.read_calibration()["a"].range_max == 1023
        bus.disconnect()
