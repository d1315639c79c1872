"""``MotorArm``: a follower arm on one servo bus, with cameras (SO, Koch, OMX, HopeJR arm).

Observations are ``{"<motor>.pos": float, <camera>: (H, W, 3) uint8}`` and actions
``{"<motor>.pos": float}``, in each motor's normalised units (degrees, or -100..100, grippers
0..100). ``send_action`` is the safety path; in order it:

1. takes the ``"<motor>.pos"`` keys (others are ignored, as LeRobot does) and refuses an unknown
   motor or a value that is not a finite number, naming the key;
2. clamps each goal to the motor's calibrated range (:meth:`SerialBus.goal_limits`);
3. with ``max_relative_target``, caps each goal to ``present ± cap`` (one read of the arm);
4. writes the goals in one SYNC_WRITE and returns them: what was really sent (to within one
   encoder tick of quantisation).

``disconnect`` disables torque on every motor that answers (``disable_torque_on_disconnect``),
or holds: the goal becomes the present position and torque stays on. A bus error names the
arm, the motor and the port.
"""

from __future__ import annotations

import logging
from abc import abstractmethod
from collections.abc import Callable
from functools import cached_property
from typing import Any, ClassVar

from lr_core.camera import Camera
from lr_core.errors import DeviceNotConnectedError, HardwareError
from lr_core.features import HardwareFeatures
from lr_core.robot import Robot
from lr_motors.bus import SerialBus
from lr_robots.control.safety import (
    check_max_relative_target,
    clamp_to_limits,
    ensure_safe_goal_position,
    goals_from_action,
)
from lr_robots.devices import camera_features, make_cameras_from_configs
from lr_robots.servo_device import ServoDevice

logger = logging.getLogger(__name__)


class MotorArm(ServoDevice, Robot):
    """A follower arm: one servo bus plus cameras (see the module docstring).

    Subclasses implement :meth:`make_bus` and :meth:`configure`, and may override the
    calibration hooks of :class:`~lr_robots.servo_device.ServoDevice`.
    """

    name: ClassVar[str]

    def __init__(self, config: Any) -> None:
        Robot.__init__(self, config)
        self.config = config
        self.bus: SerialBus = self.make_bus()
        check_max_relative_target(
            getattr(config, "max_relative_target", None), list(self.bus.motors), "robot"
        )
        self.cameras: dict[str, Camera] = make_cameras_from_configs(config.cameras)
        self._limits: dict[str, tuple[float, float]] = {}
        self._limits_of: object = None

    @abstractmethod
    def make_bus(self) -> SerialBus:
        """The arm's servo bus, given ``self.calibration``."""

    # features -------------------------------------------------------------------------------
    # cached_property for Robot's abstract read-only property: pyright calls it incompatible
    # because a cached value may be assigned; nothing assigns it.
    @cached_property
    def observation_features(self) -> HardwareFeatures:  # pyright: ignore[reportIncompatibleMethodOverride]
        """``<motor>.pos`` floats, then one ``(height, width, 3)`` entry per camera."""
        return {**self.motor_features, **camera_features(self.config.cameras)}

    @cached_property
    def action_features(self) -> HardwareFeatures:  # pyright: ignore[reportIncompatibleMethodOverride]  # as above
        """``<motor>.pos`` floats."""
        return self.motor_features

    # connection -----------------------------------------------------------------------------
    @property
    def is_connected(self) -> bool:
        """Whether the bus and every camera are connected."""
        return self.bus.is_connected and all(c.is_connected for c in self.cameras.values())

    def connect(self, calibrate: bool = True) -> None:
        """Open the bus (calibrating when asked and needed), connect the cameras, then
        :meth:`configure`. On failure torque is off, the port closed, cameras released."""
        self.connect_bus(calibrate)
        try:
            for camera in self.cameras.values():
                camera.connect()
            with self.named_errors():
                self.configure()
        except BaseException:
            self.abort()
            for camera in self.cameras.values():
                if camera.is_connected:
                    camera.disconnect()
            raise
        logger.info("%s connected", self)

    # io -------------------------------------------------------------------------------------
    def get_observation(self) -> dict[str, Any]:
        """Present positions (one SYNC_READ) and the newest frame of each camera."""
        return self.start_get_observation()()

    def start_get_observation(self) -> Callable[[], dict[str, Any]]:
        """Ask the servos for their positions now; the function returned collects the replies
        and the cameras' newest frames and returns what :meth:`get_observation` returns (call
        it once). An lr addition: a robot of two arms asks both before reading either, so the
        two buses answer at once (:class:`~lr_robots.robots.bi_so_follower.BiSOFollower`).

        Raises:
            DeviceNotConnectedError: not connected.
            MotorCommError: (from the function) no valid reply, naming the arm and motor.
        """
        self._require_connected()
        retries = getattr(self.config, "num_read_retries", None)
        with self.named_errors():
            collect = self.bus.start_sync_read("Present_Position", num_retry=retries)

        def finish() -> dict[str, Any]:
            with self.named_errors():
                positions = collect()
            obs: dict[str, Any] = {f"{motor}.pos": value for motor, value in positions.items()}
            for key, camera in self.cameras.items():
                obs[key] = camera.read_latest()
            return obs

        return finish

    def goal_limits(self) -> dict[str, tuple[float, float]]:
        """``{motor: (lowest, highest)}`` goal in normalised units: the calibrated range."""
        if self._limits_of is not self.bus.calibration:
            self._limits = {m: self.bus.goal_limits(m) for m in self.bus.motors}
            self._limits_of = self.bus.calibration
        return self._limits

    def send_action(self, action: dict[str, Any]) -> dict[str, Any]:
        """Clamp and send goal positions; return the action really sent (module docstring)."""
        self._require_connected()
        with self.named_errors():
            goals = goals_from_action(action, self.bus.motors, self.label)
            if not goals:
                return {}
            goals = clamp_to_limits(goals, self.goal_limits())
            cap = getattr(self.config, "max_relative_target", None)
            if cap is not None:
                present = self.bus.sync_read(
                    "Present_Position",
                    list(goals),
                    num_retry=getattr(self.config, "num_read_retries", None),
                )
                goals = ensure_safe_goal_position(
                    {m: (g, float(present[m])) for m, g in goals.items()}, cap
                )
                goals = clamp_to_limits(goals, self.goal_limits())
            self.bus.sync_write("Goal_Position", goals)
        return {f"{motor}.pos": value for motor, value in goals.items()}

    # stopping -------------------------------------------------------------------------------
    def hold_position(self) -> None:
        """Make every motor hold where it is now (goal = present position, torque on)."""
        present = self.bus.sync_read("Present_Position", normalize=False, num_retry=2)
        self.bus.sync_write("Goal_Position", present, normalize=False)

    def disconnect(self) -> None:
        """Torque off on every motor that answers (or hold, with
        ``disable_torque_on_disconnect=False``), close the port, release the cameras.

        Everything is attempted even when a step fails; the first error is raised after,
        naming the arm, with a note on what state the arm was left in."""
        bus_open = self.bus.is_connected
        if not bus_open and not any(c.is_connected for c in self.cameras.values()):
            raise DeviceNotConnectedError(f"{self.label} is not connected")
        error: BaseException | None = None
        if bus_open:
            torque_off = getattr(self.config, "disable_torque_on_disconnect", True)
            try:
                with self.named_errors():
                    if not torque_off:
                        try:
                            self.hold_position()
                        except HardwareError:
                            torque_off = True  # cannot hold safely: let go instead
                            raise
                    self.bus.disconnect(disable_torque=torque_off)
            except HardwareError as exc:
                error = exc
                exc.add_note(f"{self.label}: torque was disabled on every motor that answered")
            finally:
                if self.bus.is_connected:
                    if torque_off:
                        self.abort()
                    else:
                        self.bus.transport.close()
        for camera in self.cameras.values():
            try:
                if camera.is_connected:
                    camera.disconnect()
            except Exception as exc:
                error = error or exc
        if error is not None:
            raise error
        logger.info("%s disconnected", self)
