"""``LeKiwi``: the mobile SO arm, run on the robot's Raspberry Pi (LeRobot's ``lekiwi``).

One Feetech bus holds the SO arm (``arm_shoulder_pan`` … ``arm_gripper``, ids 1-6, position
mode) and three omni wheels (``base_left_wheel`` 7, ``base_back_wheel`` 8, ``base_right_wheel``
9, velocity mode). Observations and actions are the arm's ``arm_<joint>.pos`` (degrees, or
-100..100; gripper 0..100) and the base's ``x.vel`` / ``y.vel`` (m/s) and ``theta.vel`` (deg/s),
converted to and from wheel speeds by :mod:`lr_robots.robots.lekiwi.kinematics`; observations
add one ``(H, W, 3)`` frame per camera.

``send_action`` is the safety path of :class:`~lr_robots.robots.arm.MotorArm` for the arm
(known keys and finite numbers only, goals clamped to the calibrated range, then to
``max_relative_target``), and for the base: finite velocities, a missing one taken as 0 (stop),
every wheel within 3000 ticks/s by scaling the three together; it returns what was really
sent, base velocities included (scaled). ``stop_base`` writes zero wheel velocities;
``disconnect`` stops the base first, then disables torque (or holds the arm).

Calibration (LeRobot's): the arm in position mode is homed mid-range, its joints but
``arm_wrist_roll`` are moved through their ranges; the wheels and the wrist roll get the whole
encoder and the wheels no homing offset. The file is LeRobot's (``robots/lekiwi/<id>.json``).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from functools import cached_property
from typing import Any, ClassVar

from lr_core.camera import Camera
from lr_core.errors import ConfigError, FeatureError, HardwareError
from lr_core.features import HardwareFeatures
from lr_core.motors import Calibration, Motor, MotorCalibration, MotorNormMode
from lr_core.robot import Robot
from lr_motors.feetech.bus import FeetechMotorsBus, OperatingMode
from lr_robots.control.safety import (
    check_max_relative_target,
    clamp_to_limits,
    ensure_safe_goal_position,
    goals_from_action,
)
from lr_robots.devices import camera_features, make_cameras_from_configs
from lr_robots.robots.arm import MotorArm
from lr_robots.robots.lekiwi.config import LeKiwiConfig
from lr_robots.robots.lekiwi.kinematics import BASE_KEYS, WHEELS, body_to_wheel, wheel_raw_to_body
from lr_robots.robots.so_follower.robot import so_arm_motors

logger = logging.getLogger(__name__)

#: The arm's motors on LeKiwi's bus, in bus order.
ARM_MOTORS = tuple(f"arm_{joint}" for joint in so_arm_motors(True))


def lekiwi_motors(use_degrees: bool = True) -> dict[str, Motor]:
    """The nine motors of LeKiwi's bus: the SO arm as ``arm_*`` (ids 1-6), then the wheels."""
    arm = {f"arm_{name}": motor for name, motor in so_arm_motors(use_degrees).items()}
    wheels = {
        name: Motor(id=7 + i, model="sts3215", norm_mode=MotorNormMode.RANGE_M100_100)
        for i, name in enumerate(WHEELS)
    }
    return {**arm, **wheels}


def state_features() -> dict[str, type]:
    """LeKiwi's state and action keys: ``arm_<joint>.pos`` then ``x.vel, y.vel, theta.vel``."""
    return dict.fromkeys((*(f"{m}.pos" for m in ARM_MOTORS), *BASE_KEYS), float)


def base_velocities(action: Mapping[str, Any], where: str) -> dict[str, float]:
    """``{"x.vel", "y.vel", "theta.vel"}`` from an action; a missing one is 0 (stop).

    Raises :class:`~lr_core.errors.FeatureError` for another ``*.vel`` key or a value that is
    not a finite number, naming the key."""
    out = dict.fromkeys(BASE_KEYS, 0.0)
    for key, value in action.items():
        if not key.endswith(".vel"):
            continue
        if key not in out:
            raise FeatureError(f"{where}: action key {key!r} is not one of {', '.join(BASE_KEYS)}")
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise FeatureError(f"{where}: action {key!r} is {value!r}, not a number") from None
        if not math.isfinite(number):
            raise FeatureError(f"{where}: action {key!r} is {number}; refusing to send it")
        out[key] = number
    return out


class LeKiwi(MotorArm):
    """LeKiwi on its own computer (see the module docstring); config :class:`LeKiwiConfig`."""

    config_class: ClassVar[type[LeKiwiConfig]] = LeKiwiConfig
    name: ClassVar[str] = "lekiwi"
    full_turn_motors: ClassVar[tuple[str, ...]] = ("arm_wrist_roll", *WHEELS)

    config: LeKiwiConfig

    def __init__(self, config: LeKiwiConfig) -> None:
        Robot.__init__(self, config)
        self.config = config
        self.bus: FeetechMotorsBus = self.make_bus()
        self.arm_motors = list(ARM_MOTORS)
        self.base_motors = list(WHEELS)
        check_max_relative_target(config.max_relative_target, self.arm_motors, "robot")
        depth = [k for k, c in config.cameras.items() if getattr(c, "use_depth", False)]
        if depth:
            raise ConfigError(
                f"LeKiwi carries colour frames only; cameras {depth} have use_depth=true"
            )
        self.cameras: dict[str, Camera] = make_cameras_from_configs(config.cameras)
        self._limits: dict[str, tuple[float, float]] = {}
        self._limits_of: object = None

    def make_bus(self) -> FeetechMotorsBus:
        """The Feetech bus of the arm and the wheels, with the loaded calibration."""
        return FeetechMotorsBus(
            self.config.port, lekiwi_motors(self.config.use_degrees), self.calibration
        )

    # features -------------------------------------------------------------------------------
    @cached_property
    def observation_features(self) -> HardwareFeatures:
        """``arm_<joint>.pos``, ``x.vel``, ``y.vel``, ``theta.vel``, then each camera."""
        return {**state_features(), **camera_features(self.config.cameras)}

    @cached_property
    def action_features(self) -> HardwareFeatures:
        """``arm_<joint>.pos``, ``x.vel``, ``y.vel``, ``theta.vel``."""
        return state_features()

    # calibration and configuration ----------------------------------------------------------
    def run_calibration(self) -> Calibration:
        """LeRobot's LeKiwi calibration (module docstring); returns what was written."""
        from lr_motors.calibration import enter_pressed, fit_range, print_table, record_ranges

        bus = self.bus
        bus.disable_torque()
        self.write_all("Operating_Mode", int(OperatingMode.POSITION), self.arm_motors)
        input(f"Move {self} to the middle of its range of motion and press ENTER....")
        offsets = bus.set_half_turn_homings(self.arm_motors)
        offsets.update(dict.fromkeys(self.base_motors, 0))
        recorded = [m for m in self.arm_motors if m not in self.full_turn_motors]
        print(
            f"Move all arm joints except {list(self.full_turn_motors)} sequentially through "
            "their entire ranges of motion.\nRecording positions. Press ENTER to stop..."
        )
        mins, maxes = record_ranges(bus, recorded, enter_pressed, print_table)
        calibration: Calibration = {}
        for name, motor in bus.motors.items():
            offset = offsets[name]
            if name in self.full_turn_motors:
                lo, hi = 0, bus.model_resolution_table[motor.model] - 1
            else:
                offset, lo, hi = fit_range(bus, name, offset, mins[name], maxes[name])
            calibration[name] = MotorCalibration(
                id=motor.id, drive_mode=0, homing_offset=offset, range_min=lo, range_max=hi
            )
        bus.write_calibration(calibration)
        return calibration

    def configure(self) -> None:
        """Torque off; LeRobot's settings: the arm in position mode with its PID gains (P 16,
        I 0, D 32) and, as on lr's SO follower, the gripper's torque and current at half; the
        wheels in velocity mode; every write checked first; torque on."""
        with self.bus.torque_disabled():
            self.bus.configure_motors()
            writes: list[tuple[str, str, int]] = []
            for motor in self.arm_motors:
                writes += [
                    (motor, "Operating_Mode", int(OperatingMode.POSITION)),
                    (motor, "P_Coefficient", 16),
                    (motor, "I_Coefficient", 0),
                    (motor, "D_Coefficient", 32),
                ]
            writes += [
                ("arm_gripper", "Max_Torque_Limit", 500),
                ("arm_gripper", "Protection_Current", 250),
                ("arm_gripper", "Overload_Torque", 25),
            ]
            writes += [(m, "Operating_Mode", int(OperatingMode.VELOCITY)) for m in WHEELS]
            self.bus.apply(self.bus.plan(writes))

    # io -------------------------------------------------------------------------------------
    def get_observation(self) -> dict[str, Any]:
        """Arm positions and wheel speeds (two SYNC_READs; speeds as body velocities), then the
        newest frame of each camera."""
        self._require_connected()
        retries = self.config.num_read_retries
        with self.named_errors():
            arm = self.bus.sync_read("Present_Position", self.arm_motors, num_retry=retries)
            wheels = self.bus.sync_read(
                "Present_Velocity", self.base_motors, normalize=False, num_retry=retries
            )
        obs: dict[str, Any] = {f"{motor}.pos": float(value) for motor, value in arm.items()}
        obs.update(wheel_raw_to_body(*(wheels[w] for w in WHEELS)))
        for key, camera in self.cameras.items():
            obs[key] = camera.read_latest()
        return obs

    def send_action(self, action: dict[str, Any]) -> dict[str, Any]:
        """Arm goals and body velocities, checked, clamped and sent; returns what was really
        sent (module docstring).

        Raises:
            FeatureError: an unknown ``*.pos`` / ``*.vel`` key or a non-finite value (nothing
                is sent); DeviceNotConnectedError; HardwareError naming the motor and port.
        """
        self._require_connected()
        arm_motors = {m: self.bus.motors[m] for m in self.arm_motors}
        with self.named_errors():
            goals = goals_from_action(action, arm_motors, self.label)
            velocities = base_velocities(action, self.label)
            wheel_raw, scale = body_to_wheel(*(velocities[k] for k in BASE_KEYS))
            if goals:
                goals = clamp_to_limits(goals, self.goal_limits())
                cap = self.config.max_relative_target
                if cap is not None:
                    present = self.bus.sync_read(
                        "Present_Position", list(goals), num_retry=self.config.num_read_retries
                    )
                    goals = ensure_safe_goal_position(
                        {m: (g, float(present[m])) for m, g in goals.items()}, cap
                    )
                    goals = clamp_to_limits(goals, self.goal_limits())
                self.bus.sync_write("Goal_Position", goals)
            self.bus.sync_write("Goal_Velocity", wheel_raw, normalize=False)
        sent: dict[str, Any] = {f"{motor}.pos": value for motor, value in goals.items()}
        sent.update({k: v * scale for k, v in velocities.items()})
        return sent

    # stopping -------------------------------------------------------------------------------
    def stop_base(self) -> None:
        """Zero velocity on the three wheels (five retries)."""
        with self.named_errors():
            self.bus.sync_write(
                "Goal_Velocity", dict.fromkeys(self.base_motors, 0), normalize=False, num_retry=5
            )
        logger.info("%s: base motors stopped", self.label)

    def hold_position(self) -> None:
        """Stop the wheels; the arm holds where it is (goal = present position, torque on)."""
        self.stop_base()
        present = self.bus.sync_read(
            "Present_Position", self.arm_motors, normalize=False, num_retry=2
        )
        self.bus.sync_write("Goal_Position", present, normalize=False)

    def disconnect(self) -> None:
        """Stop the wheels, then torque off on every motor that answers (or hold the arm with
        ``disable_torque_on_disconnect=False``), close the port, release the cameras. Torque is
        disabled even when stopping the wheels failed."""
        if self.bus.is_connected:
            try:
                self.stop_base()
            except HardwareError as exc:
                logger.error("%s: could not stop the wheels (%s); disabling torque", self.label,
                             exc)  # fmt: skip
        super().disconnect()
