"""``gamepad``: move the SO-101's gripper with a game controller.

Sticks, as LeRobot 0.6.1 reads them (axes 0 and 1 the left stick, 3 the right stick's vertical):

- ``output="deltas"``: LeRobot's action ``delta_x = -axis1``, ``delta_y = -axis0``,
  ``delta_z = -axis3`` after the dead zone, and ``gripper`` 0 close / 1 stay / 2 open from
  buttons 6 (close) and 7 (open) held.
- ``output="joints"`` (default): the left stick moves the gripper forward/back and left/right
  and the right stick up/down, at ``speed_m_s`` at full travel, through
  :class:`~lr_robots.teleoperators.ee_jog.EndEffectorJog` (the robot's frame: forward is -y,
  left +x); buttons 7/6 open/close the gripper at ``gripper_speed``.

``get_teleop_events`` as LeRobot: button 3 success, 1 failure, 0 re-record (reported until the
button is released, and once read), button 5 held = intervention.
Source: ``lerobot/teleoperators/gamepad/{teleop_gamepad,gamepad_utils}.py``.
"""

from __future__ import annotations

import time
from typing import Any

from lr_core.errors import ConfigError, DeviceAlreadyConnectedError, DeviceNotConnectedError
from lr_core.features import HardwareFeatures
from lr_core.teleoperator import Teleoperator
from lr_robots.teleoperators.ee_jog import EndEffectorJog
from lr_robots.teleoperators.events import TeleopEvents, no_events
from lr_robots.teleoperators.gamepad.config import GamepadTeleopConfig
from lr_robots.teleoperators.gamepad.controller import SDLGamepad

#: SDL button numbers LeRobot uses.
CLOSE_BUTTON, OPEN_BUTTON, INTERVENTION_BUTTON = 6, 7, 5
SUCCESS_BUTTON, FAILURE_BUTTON, RERECORD_BUTTON = 3, 1, 0
MAX_DT_S = 0.1


class GamepadTeleop(Teleoperator):
    """See the module docstring; config :class:`GamepadTeleopConfig`."""

    config_class = GamepadTeleopConfig
    name = "gamepad"

    def __init__(self, config: GamepadTeleopConfig) -> None:
        if config.hidapi_fallback:
            raise ConfigError(
                "gamepad hidapi_fallback=true is not supported: lr reads every controller "
                "through SDL (pygame); LeRobot's HID path only decodes a Logitech RumblePad 2"
            )
        super().__init__(config)
        self.config: GamepadTeleopConfig = config
        self.gamepad: SDLGamepad | None = None
        self.jog = self._make_jog()
        self.episode_end_status: TeleopEvents | None = None
        self._last_step: float | None = None

    def _make_jog(self) -> EndEffectorJog:
        cfg = self.config
        return EndEffectorJog(
            speed_m_s=cfg.speed_m_s,
            gripper_speed=cfg.gripper_speed,
            bounds=cfg.bounds,
            gripper="gripper" if cfg.use_gripper else None,
            name="gamepad",
        )

    def __str__(self) -> str:
        return f"GamepadTeleop({self.config.joystick_index})"

    @property
    def action_features(self) -> HardwareFeatures:
        """Joint targets, or LeRobot's deltas with ``output="deltas"``."""
        if self.config.output == "deltas":
            names = ["delta_x", "delta_y", "delta_z"] + (
                ["gripper"] if self.config.use_gripper else []
            )
            return dict.fromkeys(names, float)
        return dict.fromkeys((f"{m}.pos" for m in self.jog.motors), float)

    @property
    def feedback_features(self) -> HardwareFeatures:
        """None (no rumble)."""
        return {}

    @property
    def is_connected(self) -> bool:
        """Whether the controller is open."""
        return self.gamepad is not None

    @property
    def is_calibrated(self) -> bool:
        """Always true: SDL reports calibrated axes."""
        return True

    def connect(self, calibrate: bool = True) -> None:
        """Open the controller (``HardwareError`` if none is plugged in)."""
        if self.gamepad is not None:
            raise DeviceAlreadyConnectedError(f"{self} is already connected")
        gamepad = SDLGamepad(self.config.joystick_index)
        gamepad.start()
        self.gamepad = gamepad
        self._last_step = None

    def calibrate(self) -> None:
        """Nothing to calibrate."""

    def configure(self) -> None:
        """Nothing to configure."""

    def observe(self, observation: dict[str, Any]) -> None:
        """Take the robot's joint positions (degrees) for the kinematics."""
        if self.config.output == "joints":
            self.jog.observe(observation)

    def _stick(self, axis: int) -> float:
        assert self.gamepad is not None
        value = self.gamepad.axis(axis)
        return 0.0 if abs(value) < self.config.deadzone else value

    def _update(self) -> None:
        if self.gamepad is None:
            raise DeviceNotConnectedError(f"{self} is not connected")
        pressed, released = self.gamepad.update()
        for button, status in (
            (SUCCESS_BUTTON, TeleopEvents.SUCCESS),
            (FAILURE_BUTTON, TeleopEvents.FAILURE),
            (RERECORD_BUTTON, TeleopEvents.RERECORD_EPISODE),
        ):
            if button in pressed:
                self.episode_end_status = status
        if released & {RERECORD_BUTTON, 2, SUCCESS_BUTTON}:  # LeRobot's reset list
            self.episode_end_status = None

    def get_action(self) -> dict[str, Any]:
        """Joint targets (or deltas) for the sticks and buttons now."""
        self._update()
        assert self.gamepad is not None
        now = time.perf_counter()
        dt = 0.0 if self._last_step is None else min(now - self._last_step, MAX_DT_S)
        self._last_step = now
        opening = self.gamepad.button(OPEN_BUTTON)
        closing = self.gamepad.button(CLOSE_BUTTON)
        if self.config.output == "deltas":
            action: dict[str, Any] = {
                "delta_x": -self._stick(1),
                "delta_y": -self._stick(0),
                "delta_z": -self._stick(3),
            }
            if self.config.use_gripper:
                action["gripper"] = 1 if opening == closing else (2 if opening else 0)
            return action
        velocity = (-self._stick(0), self._stick(1), -self._stick(3))
        return self.jog.step(velocity, float(opening) - float(closing), dt)

    def get_teleop_events(self) -> dict[TeleopEvents, bool]:
        """LeRobot's events (module docstring)."""
        if self.gamepad is None:
            return no_events()
        self._update()
        status, self.episode_end_status = self.episode_end_status, None
        events = no_events()
        events[TeleopEvents.IS_INTERVENTION] = self.gamepad.button(INTERVENTION_BUTTON)
        events[TeleopEvents.TERMINATE_EPISODE] = status in (
            TeleopEvents.RERECORD_EPISODE,
            TeleopEvents.FAILURE,
        )
        events[TeleopEvents.SUCCESS] = status == TeleopEvents.SUCCESS
        events[TeleopEvents.RERECORD_EPISODE] = status == TeleopEvents.RERECORD_EPISODE
        return events

    def send_feedback(self, feedback: dict[str, Any]) -> None:
        """No feedback (no rumble)."""

    def disconnect(self) -> None:
        """Release the controller; the next connection starts from the robot's positions."""
        if self.gamepad is None:
            raise DeviceNotConnectedError(f"{self} is not connected")
        self.gamepad.stop()
        self.gamepad = None
        self.jog = self._make_jog()
