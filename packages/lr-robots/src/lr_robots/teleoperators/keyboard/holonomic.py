"""``keyboard_base``: LeKiwi's base keys as a teleoperator; :class:`LeKiwiBaseKeys` does the
mapping for anyone holding a set of keys (LeKiwi's client uses it too).

LeRobot 0.6.1 (``LeKiwiClient._from_keyboard_to_base_action``): w/s forward/backward and a/d
left/right at the current level's ``xy`` speed (m/s), z/x rotate left/right at its ``theta``
(deg/s), r/f step the speed level up/down (three levels, starting at the slowest). Opposite keys
cancel. Actions ``x.vel``, ``y.vel``, ``theta.vel``.

One difference: r/f step the level once per press; LeRobot steps it on every action while the
key is held (a tap at 30 Hz goes straight to the last level).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from lr_core.errors import ConfigError
from lr_core.features import HardwareFeatures
from lr_robots.teleoperators.keyboard.config import (
    LEKIWI_SPEED_LEVELS,
    LEKIWI_TELEOP_KEYS,
    KeyboardBaseTeleopConfig,
)
from lr_robots.teleoperators.keyboard.device import KeyboardDevice

BASE_ACTIONS = ("x.vel", "y.vel", "theta.vel")
_NEEDED = ("forward", "backward", "left", "right", "rotate_left", "rotate_right")


class LeKiwiBaseKeys:
    """Keys -> LeKiwi body velocities, with the speed level as state."""

    def __init__(
        self,
        teleop_keys: Mapping[str, str] = LEKIWI_TELEOP_KEYS,
        speed_levels: Sequence[Mapping[str, float]] = LEKIWI_SPEED_LEVELS,
    ) -> None:
        missing = [name for name in _NEEDED if name not in teleop_keys]
        if missing:
            raise ConfigError(f"teleop_keys lacks {', '.join(missing)}")
        if not speed_levels or any({"xy", "theta"} - set(level) for level in speed_levels):
            raise ConfigError("speed_levels must be a non-empty list of {'xy': ..., 'theta': ...}")
        self.teleop_keys = dict(teleop_keys)
        self.speed_levels = [dict(level) for level in speed_levels]
        self.speed_index = 0

    def press(self, key: str) -> None:
        """A key went down: step the speed level on ``speed_up`` / ``speed_down``."""
        if key == self.teleop_keys.get("speed_up"):
            self.speed_index = min(self.speed_index + 1, len(self.speed_levels) - 1)
        elif key == self.teleop_keys.get("speed_down"):
            self.speed_index = max(self.speed_index - 1, 0)

    def action(self, held: Iterable[str]) -> dict[str, float]:
        """``{"x.vel", "y.vel", "theta.vel"}`` for the keys ``held``."""
        held = set(held)
        keys = self.teleop_keys
        level = self.speed_levels[self.speed_index]
        xy, theta = float(level["xy"]), float(level["theta"])
        x = (keys["forward"] in held) * xy - (keys["backward"] in held) * xy
        y = (keys["left"] in held) * xy - (keys["right"] in held) * xy
        t = (keys["rotate_left"] in held) * theta - (keys["rotate_right"] in held) * theta
        return {"x.vel": float(x), "y.vel": float(y), "theta.vel": float(t)}


class KeyboardBaseTeleop(KeyboardDevice):
    """See the module docstring; config :class:`KeyboardBaseTeleopConfig`."""

    config_class = KeyboardBaseTeleopConfig
    name = "keyboard_base"

    def __init__(self, config: KeyboardBaseTeleopConfig) -> None:
        super().__init__(config)
        self.config: KeyboardBaseTeleopConfig = config
        self.base = LeKiwiBaseKeys(config.teleop_keys, config.speed_levels)

    @property
    def action_features(self) -> HardwareFeatures:
        """``x.vel`` (m/s), ``y.vel`` (m/s), ``theta.vel`` (deg/s)."""
        return dict.fromkeys(BASE_ACTIONS, float)

    @property
    def quit_requested(self) -> bool:
        """Whether the ``quit`` key is held."""
        quit_key = self.config.teleop_keys.get("quit")
        return quit_key is not None and quit_key in self._keys()

    @property
    def keys_used(self) -> frozenset[str]:
        """LeKiwi's base keys (``teleop_keys``)."""
        return frozenset(self.config.teleop_keys.values())

    def get_action(self) -> dict[str, Any]:
        """The body velocities for the keys held now."""
        keys = self._keys()
        assert self.keyboard is not None
        for event in self.keyboard.events():
            if event.pressed:
                self.base.press(event.key)
        return self.base.action(keys)
