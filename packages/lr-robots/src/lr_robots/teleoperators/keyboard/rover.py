"""``keyboard_rover``: LeRobot 0.6.1's keys for a mobile robot (EarthRover Mini Plus style).

w/s forward/back; a/d turn left/right, adding ``turn_assist_ratio`` of the linear speed when
not otherwise moving; q/e turn on the spot; x stops (overrides everything); +/= and - change
both speeds by ``speed_increment`` (angular by ``angular_speed_ratio`` of it), not below the
minimums. Source: ``lerobot/teleoperators/keyboard/teleop_keyboard.py`` (``KeyboardRoverTeleop``).

One difference: a speed key changes the speed once per press. LeRobot changes it on every
action while the key is held, so at 30 Hz a tap jumps by several increments.
"""

from __future__ import annotations

from typing import Any

from lr_core.features import HardwareFeatures
from lr_robots.teleoperators.keyboard.config import KeyboardRoverTeleopConfig
from lr_robots.teleoperators.keyboard.device import KeyboardDevice


class KeyboardRoverTeleop(KeyboardDevice):
    """See the module docstring; config :class:`KeyboardRoverTeleopConfig`."""

    config_class = KeyboardRoverTeleopConfig
    name = "keyboard_rover"

    def __init__(self, config: KeyboardRoverTeleopConfig) -> None:
        super().__init__(config)
        self.config: KeyboardRoverTeleopConfig = config
        self.current_linear_speed = config.linear_speed
        self.current_angular_speed = config.angular_speed

    @property
    def action_features(self) -> HardwareFeatures:
        """``linear_velocity`` and ``angular_velocity`` (LeRobot's)."""
        return {"linear_velocity": float, "angular_velocity": float}

    @property
    def keys_used(self) -> frozenset[str]:
        """WASD, q/e (turn in place), x (stop), +/=/- (speed)."""
        return frozenset("wasdqex+=-")

    def get_action(self) -> dict[str, Any]:
        """The velocities for the keys held now."""
        keys = self._keys()
        assert self.keyboard is not None
        cfg = self.config
        for event in self.keyboard.events():
            if not event.pressed:
                continue
            if event.key in ("+", "="):
                self.current_linear_speed += cfg.speed_increment
                self.current_angular_speed += cfg.speed_increment * cfg.angular_speed_ratio
            elif event.key == "-":
                self.current_linear_speed = max(
                    cfg.min_linear_speed, self.current_linear_speed - cfg.speed_increment
                )
                self.current_angular_speed = max(
                    cfg.min_angular_speed,
                    self.current_angular_speed - cfg.speed_increment * cfg.angular_speed_ratio,
                )
        linear = angular = 0.0
        if "w" in keys:
            linear = self.current_linear_speed
        elif "s" in keys:
            linear = -self.current_linear_speed
        if "d" in keys:
            angular = -self.current_angular_speed
            if linear == 0:
                linear = self.current_linear_speed * cfg.turn_assist_ratio
        elif "a" in keys:
            angular = self.current_angular_speed
            if linear == 0:
                linear = self.current_linear_speed * cfg.turn_assist_ratio
        elif "q" in keys:
            angular, linear = self.current_angular_speed, 0.0
        elif "e" in keys:
            angular, linear = -self.current_angular_speed, 0.0
        if "x" in keys:
            linear = angular = 0.0
        return {"linear_velocity": linear, "angular_velocity": angular}
