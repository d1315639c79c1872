"""FeetechMotorsBus against the pty emulator (real protocol, no mocks)."""

from __future__ import annotations

import time

import pytest

from lr_core.errors import CalibrationError, DeviceAlreadyConnectedError, DeviceNotConnectedError
from lr_core.motors import Motor, MotorCalibration, MotorNormMode
from lr_motors.bus import PTY_REPLY_TIMEOUT_MS
from lr_motors.emulator import ServoEmulator, ServoSpec
from lr_motors.errors import (
    MotorCommError,
    MotorConfigError,
    MotorsNotFoundError,
    MotorStatusError,
    MotorWriteVerifyError,
)
from lr_motors.feetech.bus import FeetechMotorsBus
from lr_motors.presets import robot_motors

MOTORS = robot_motors("so101").motors


@pytest.fixture
def bus(so101):
    bus = FeetechMotorsBus(so101.port, MOTORS)
    bus.connect()
    yield bus
    if bus.is_connected:
        bus.disconnect(disable_torque=False)


def test_connect_and_read(bus):
    assert bus.is_connected
    assert bus.read("Model_Number", "gripper", normalize=False) == 777
    assert bus.sync_read("Present_Position", normalize=False) == dict.fromkeys(MOTORS, 2048)
    with pytest.raises(DeviceAlreadyConnectedError):
        bus.connect()


def test_missing_and_mismatched_motors_are_all_named(so101):
    so101.detach("wrist_flex")
    motors = dict(MOTORS) | {
        "gripper": Motor(id=6, model="sts3250", norm_mode=MotorNormMode.RANGE_0_100)
    }
    bus = FeetechMotorsBus(so101.port, motors, retries=0)
    so101.set_register("elbow_flex", "Torque_Enable", 1)
    with pytest.raises(MotorsNotFoundError) as info:
        bus.connect()
    message = str(info.value)
    assert so101.port in message
    assert "wrist_flex (id 4, sts3215): no answer" in message
    assert "gripper (id 6): expected model sts3250 (2825), found model number 777" in message
    assert "torque was disabled" in "".join(info.value.__notes__)
    assert so101.register("elbow_flex", "Torque_Enable") == 0
    assert not bus.is_connected


def test_read_write_by_register_name(bus, so101):
    bus.write("Goal_Velocity", "elbow_flex", -300, normalize=False)
    assert so101.register("elbow_flex", "Goal_Velocity") == 0x8000 | 300  # sign-magnitude
    assert bus.read("Goal_Velocity", "elbow_flex", normalize=False) == -300
    with pytest.raises(MotorConfigError, match="no register 'Nope'"):
        bus.read("Nope", "gripper")
    with pytest.raises(MotorConfigError, match="no motor named 'elbow'"):
        bus.read("ID", "elbow")


def test_sync_write_moves_the_motors(bus, so101):
    bus.enable_torque()
    assert so101.register("gripper", "Lock") == 1
    goals = {name: 2048 + 100 * i for i, name in enumerate(MOTORS)}
    bus.sync_write("Goal_Position", goals, normalize=False)
    deadline = time.monotonic() + 2
    while bus.sync_read("Present_Position", normalize=False) != goals:
        assert time.monotonic() < deadline, "motors did not reach their goals"
        time.sleep(0.01)


def test_normalized_positions_use_the_calibration(bus, so101):
    cal = {
        name: MotorCalibration(
            id=m.id, drive_mode=0, homing_offset=0, range_min=1048, range_max=3048
        )
        for name, m in MOTORS.items()
    }
    bus.calibration = cal
    values = bus.sync_read("Present_Position")
    assert values["gripper"] == 50.0
    assert values["shoulder_pan"] == pytest.approx((2048 - 2048) * 360 / 4095)
    bus.write("Goal_Position", "gripper", 150.0)  # clamped to 100 → range_max
    assert so101.register("gripper", "Goal_Position") == 3048
    bus.calibration = {}
    with pytest.raises(CalibrationError, match="no calibration"):
        bus.read("Present_Position", "gripper")


def test_retries_are_counted_and_recover(bus, so101):
    so101.inject("wrist_roll", no_reply=1)
    assert bus.read("ID", "wrist_roll", normalize=False) == 5
    so101.inject("wrist_roll", corrupt=2)
    assert bus.sync_read("Present_Position", normalize=False)["wrist_roll"] == 2048
    assert bus.stats.retries == 3
    assert bus.stats.timeouts == 1 and bus.stats.corrupt == 2


def test_error_after_last_retry_names_motor_register_and_port(bus, so101):
    so101.inject("wrist_roll", no_reply=-1)
    with pytest.raises(MotorCommError) as info:
        bus.sync_read("Present_Position")
    message = str(info.value)
    assert "'wrist_roll' (id 5)" in message and "Present_Position" in message
    assert so101.port in message and "after 3 tries" in message
    with pytest.raises(MotorCommError, match="read 'Torque_Enable' of motor 'wrist_roll'"):
        bus.read("Torque_Enable", "wrist_roll")
    assert bus.stats.failures == 2


def test_status_error_bits(bus, so101):
    so101.inject("gripper", error=32)
    with pytest.raises(MotorStatusError, match="overload"):
        bus.read("Present_Position", "gripper", normalize=False)
    assert bus.sync_read("Present_Position", normalize=False)["gripper"] == 2048
    assert bus.stats.status_errors["gripper"] == 2


def test_eeprom_write_is_refused_while_locked_and_verified(bus, so101):
    with pytest.raises(MotorWriteVerifyError, match=r"locked \(Lock=1\).*Disable torque first"):
        bus.write("Min_Position_Limit", "gripper", 10, normalize=False)
    bus.disable_torque(["gripper"])
    bus.write("Min_Position_Limit", "gripper", 10, normalize=False)
    so101.power_cycle("gripper")
    assert so101.register("gripper", "Min_Position_Limit") == 10
    bus.disable_torque(["gripper"])  # power-up locks EEPROM again
    with pytest.raises(MotorWriteVerifyError, match="reads 777 after writing 1"):
        bus.write("Model_Number", "gripper", 1, normalize=False)  # read-only: the servo ignores it


def test_disconnect_disables_torque(bus, so101):
    bus.enable_torque()
    bus.disconnect()
    assert so101.register("gripper", "Torque_Enable") == 0
    with pytest.raises(DeviceNotConnectedError):
        bus.read("ID", "gripper")


def test_configure_motors(bus, so101):
    so101.set_register("shoulder_pan", "Phase", 0x1C)
    bus.disable_torque()
    bus.configure_motors()
    assert so101.register("shoulder_pan", "Return_Delay_Time") == 0
    assert so101.register("shoulder_pan", "Acceleration") == 254
    assert so101.register("shoulder_pan", "Phase") == 0x0C


def test_configure_failure_disables_torque(bus, so101):
    bus.enable_torque()
    so101.inject("wrist_flex", no_reply=-1)
    with pytest.raises(MotorCommError, match="wrist_flex"):
        bus.configure_motors()  # reads every motor's Phase before the first write
    assert so101.register("shoulder_pan", "Torque_Enable") == 0
    assert so101.register("shoulder_pan", "Return_Delay_Time") == 250  # nothing was written
    so101.inject("wrist_flex")
    bus.enable_torque()
    with pytest.raises(MotorWriteVerifyError):
        bus.configure_motors()  # locked EEPROM: the first write would not stick
    assert so101.register("shoulder_pan", "Torque_Enable") == 0


def test_setup_motor_at_any_baud_rate():
    with ServoEmulator([ServoSpec("gripper", "sts3215", id=1, baudrate=57_600)]) as emu:
        bus = FeetechMotorsBus(emu.port, MOTORS)
        bus.setup_motor("gripper")
        state = emu.state()["gripper"]
        assert (state["id"], state["baudrate"]) == (6, 1_000_000)
        assert bus.read("ID", "gripper", normalize=False) == 6
        bus.disconnect(disable_torque=False)


def test_setup_motor_refuses_two_motors_or_a_wrong_model():
    servos = [ServoSpec("a", "sts3215", 1), ServoSpec("b", "sts3215", 2)]
    with ServoEmulator(servos) as emu:
        bus = FeetechMotorsBus(emu.port, MOTORS)
        with pytest.raises(MotorConfigError, match="several motors answer"):
            bus.setup_motor("gripper")
        bus.disconnect(disable_torque=False)
    with ServoEmulator([ServoSpec("a", "sts3250", 1)]) as emu:
        bus = FeetechMotorsBus(emu.port, MOTORS)
        with pytest.raises(MotorConfigError, match="model number 2825"):
            bus.setup_motor("gripper", initial_baudrate=1_000_000)
        bus.disconnect(disable_torque=False)


def test_scan_port():
    servos = [ServoSpec("a", "sts3215", 3, 500_000), ServoSpec("b", "sts3215", 4)]
    with ServoEmulator(servos) as emu:
        bus = FeetechMotorsBus(emu.port, {})
        assert bus.scan_port() == {500_000: {3: 777}, 1_000_000: {4: 777}}
        bus.disconnect(disable_torque=False)


def test_open_failure_names_the_port(tmp_path):
    bus = FeetechMotorsBus(str(tmp_path / "ttyNOPE"), MOTORS)
    with pytest.raises(MotorCommError, match="ttyNOPE.*lr find-port"):
        bus.connect()


def test_reg_write_applies_on_action(bus, so101):
    bus.reg_write("Acceleration", "gripper", 77, normalize=False)
    bus.reg_write("Acceleration", "elbow_flex", 78, normalize=False)
    assert so101.register("gripper", "Acceleration") == 0
    bus.action()
    assert bus.read("Acceleration", "gripper", normalize=False) == 77
    assert bus.read("Acceleration", "elbow_flex", normalize=False) == 78


def test_line_noise_is_skipped_without_retries(bus, so101):
    so101.inject("elbow_flex", noise=3)
    assert bus.read("ID", "elbow_flex", normalize=False) == 3
    assert bus.sync_read("Present_Position", normalize=False)["elbow_flex"] == 2048
    assert bus.sync_read("Present_Position", ["elbow_flex", "gripper"], normalize=False) == {
        "elbow_flex": 2048,
        "gripper": 2048,
    }
    assert bus.stats.retries == 0


def test_scs_protocol_1_is_big_endian_and_reads_one_by_one():
    motors = {
        "a": Motor(id=1, model="scs0009", norm_mode=MotorNormMode.RANGE_M100_100),
        "b": Motor(id=2, model="scs0009", norm_mode=MotorNormMode.RANGE_M100_100),
    }
    servos = [ServoSpec("a", "scs0009", 1, position=300), ServoSpec("b", "scs0009", 2)]
    with ServoEmulator(servos) as emu:
        with pytest.raises(MotorConfigError, match="protocol 0"):
            FeetechMotorsBus(emu.port, motors)
        bus = FeetechMotorsBus(emu.port, motors, protocol_version=1)
        bus.connect()
        assert bus.sync_read("Present_Position", normalize=False) == {"a": 300, "b": 2048 % 1024}
        bus.write("Goal_Velocity", "a", 0x0102, normalize=False)
        assert emu.register("a", "Goal_Velocity") == 0x0102
        bus.disable_torque()
        bus.write("Max_Position_Limit", "b", 1000, normalize=False)
        assert bus.read_calibration()["b"].range_max == 1000
        bus.disconnect()


def test_disconnect_reports_retries(bus, so101, caplog):
    so101.inject("gripper", no_reply=1)
    bus.read("ID", "gripper", normalize=False)
    bus.disconnect(disable_torque=False)
    assert "1 retries (1 timeouts, 0 corrupt)" in caplog.text


def test_corrupt_reply_after_noise_is_reported_as_corrupt(bus, so101):
    so101.inject("gripper", noise=-1, corrupt=-1)
    with pytest.raises(MotorCommError, match=r"corrupt status packet.*'gripper' \(id 6\)"):
        bus.read("ID", "gripper", normalize=False)
    assert bus.stats.corrupt == 3


def test_a_late_reply_is_not_taken_for_the_next_one(bus, so101):
    assert bus.timeout_ms == PTY_REPLY_TIMEOUT_MS  # the emulator's pty: 250 ms
    so101.inject("gripper", delay_s=PTY_REPLY_TIMEOUT_MS / 1000 + 0.05)  # later than that
    with pytest.raises(MotorCommError):
        bus.read("ID", "gripper", normalize=False, num_retry=0)
    so101.inject("gripper")  # answered once the late reply has been sent (one emulator thread)
    assert bus.read("Model_Number", "gripper", normalize=False) == 777


def test_threads_can_share_a_bus(bus):
    import threading

    errors = []

    def loop(op):
        try:
            for _ in range(100):
                op()
        except Exception as exc:  # collected and asserted below
            errors.append(exc)

    reader = threading.Thread(
        target=loop, args=(lambda: bus.sync_read("Present_Position", normalize=False),)
    )
    writer = threading.Thread(
        target=loop, args=(lambda: bus.read("ID", "gripper", normalize=False),)
    )
    reader.start(), writer.start()
    reader.join(), writer.join()
    assert errors == []
    assert bus.stats.retries == 0


def test_a_reading_past_the_seam_normalises_to_the_near_end(bus, so101):
    bus.calibration = {
        name: MotorCalibration(
            id=m.id, drive_mode=0, homing_offset=0, range_min=100, range_max=4080
        )
        for name, m in MOTORS.items()
    }
    so101.move("gripper", 16)  # pushed 32 ticks past range_max, across 4095 -> 0
    assert bus.read("Present_Position", "gripper") == 100.0  # LeRobot: 0.0, the other end
    so101.move("gripper", 90)
    assert bus.read("Present_Position", "gripper") == 0.0
    lo, hi = bus.goal_limits("shoulder_pan")
    assert (lo, hi) == pytest.approx(((100 - 2090) * 360 / 4095, (4080 - 2090) * 360 / 4095))
    bus.write("Goal_Position", "shoulder_pan", 400.0)  # degrees goals are clamped too
    assert so101.register("shoulder_pan", "Goal_Position") == 4080


def test_torque_off_reaches_every_motor_when_one_is_faulted(bus, so101):
    bus.enable_torque()
    so101.inject("elbow_flex", no_reply=-1)
    with pytest.raises(MotorCommError, match=r"'elbow_flex' \(id 3\)"):
        bus.disable_torque(num_retry=0)
    for name in MOTORS:
        if name != "elbow_flex":
            assert so101.register(name, "Torque_Enable") == 0, name
    so101.inject("gripper", no_reply=-1)
    with pytest.raises(MotorCommError, match=r"'elbow_flex' \(id 3\), 'gripper' \(id 6\)"):
        bus.disable_torque(num_retry=0)


def test_firmware_versions_must_agree_within_a_model_only():
    motors = {
        "a": Motor(id=1, model="sts3215", norm_mode=MotorNormMode.DEGREES),
        "b": Motor(id=2, model="sts3215", norm_mode=MotorNormMode.DEGREES),
        "pitch": Motor(id=3, model="sm8512bl", norm_mode=MotorNormMode.DEGREES),
    }
    servos = [ServoSpec("a", "sts3215", 1), ServoSpec("b", "sts3215", 2),
              ServoSpec("pitch", "sm8512bl", 3)]  # fmt: skip
    with ServoEmulator(servos) as emu:
        emu.set_register("pitch", "Firmware_Minor_Version", 4)  # another model: fine
        bus = FeetechMotorsBus(emu.port, motors)
        bus.connect()
        bus.disconnect()
        emu.set_register("b", "Firmware_Minor_Version", 9)
        with pytest.raises(MotorsNotFoundError, match=r"sts3215 motors .* \(a=3.10, b=3.9\)"):
            bus.connect()
