"""``keyboard``: jog an arm's joints with keys (or, with ``output="keys"``, LeRobot's raw keys).

Each held key in ``keys`` turns its motor at ``speed`` (robot units per second, per motor in
``speeds``) from where the robot is: the first :meth:`~KeyboardTeleop.observe` sets the
targets to the measured positions, held keys then move them by ``speed * dt`` per action, and a
target never runs more than ``max_lead`` ahead of the measured position (a joint stopped by a
limit or an obstacle is not wound up). Targets are held while no key is down.

With ``output="keys"`` the action is LeRobot 0.6.1's: ``{key: None}`` for every key held
(``lerobot/teleoperators/keyboard/teleop_keyboard.py``), for code that maps keys itself.
"""

from __future__ import annotations

from typing import Any

from lr_core.errors import ConfigError, HardwareError
from lr_core.features import HardwareFeatures
from lr_robots.teleoperators.ee_jog import NOT_OBSERVED
from lr_robots.teleoperators.keyboard.config import KeyboardTeleopConfig
from lr_robots.teleoperators.keyboard.device import KeyboardDevice


class KeyboardTeleop(KeyboardDevice):
    """See the module docstring; config :class:`KeyboardTeleopConfig`."""

    config_class = KeyboardTeleopConfig
    name = "keyboard"

    def __init__(self, config: KeyboardTeleopConfig) -> None:
        super().__init__(config)
        self.config: KeyboardTeleopConfig = config
        unknown = sorted({m for m, _ in config.keys.values()} - set(config.motors))
        if unknown:
            raise ConfigError(f"keyboard keys name motors not in motors: {', '.join(unknown)}")
        bad = [k for k, (_, d) in config.keys.items() if d not in (-1, 1)]
        if bad:
            raise ConfigError(f"keyboard keys {bad}: the direction must be 1 or -1")
        self.targets: dict[str, float] | None = None
        self.measured: dict[str, float] = {}

    @property
    def keys_used(self) -> frozenset[str]:
        """The jog keys."""
        return frozenset(self.config.keys)

    @property
    def action_features(self) -> HardwareFeatures:
        """``{"<motor>.pos": float}`` (nothing fixed with ``output="keys"``)."""
        if self.config.output == "keys":
            return {}
        return {f"{m}.pos": float for m in self.config.motors}

    def observe(self, observation: dict[str, Any]) -> None:
        """Take the robot's ``<motor>.pos``; the first call sets the targets."""
        if self.config.output == "keys":
            return
        missing = [m for m in self.config.motors if f"{m}.pos" not in observation]
        if missing:
            raise HardwareError(
                f"keyboard: the observation has no {', '.join(m + '.pos' for m in missing)}"
            )
        self.measured = {m: float(observation[f"{m}.pos"]) for m in self.config.motors}
        if self.targets is None:
            self.targets = dict(self.measured)

    def get_action(self) -> dict[str, Any]:
        """Joint targets moved by the held keys (or the held keys, ``output="keys"``)."""
        keys = self._keys()
        dt = self._dt()
        if self.config.output == "keys":
            return dict.fromkeys(sorted(keys))
        if self.targets is None:
            raise HardwareError(NOT_OBSERVED.format(name="keyboard"))
        cfg = self.config
        for key in keys:
            if key not in cfg.keys:
                continue
            motor, direction = cfg.keys[key]
            speed = cfg.speeds.get(motor, cfg.speed)
            moved = self.targets[motor] + direction * speed * dt
            here = self.measured.get(motor, moved)
            self.targets[motor] = min(max(moved, here - cfg.max_lead), here + cfg.max_lead)
        return {f"{m}.pos": self.targets[m] for m in cfg.motors}

    def disconnect(self) -> None:
        """Close the keyboard; the next connection starts from the robot's positions again."""
        super().disconnect()
        self.targets = None
