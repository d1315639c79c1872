"""``keyboard_ee``: move the SO-101's gripper in Cartesian space with keys.

LeRobot 0.6.1's key map (``lerobot/teleoperators/keyboard/teleop_keyboard.py``): up/down
arrows move along y (up = ``delta_y -1``: forward, the arm faces -y), left/right along x
(left = ``+1``), right/left Shift up/down in z, right/left Ctrl open/close the gripper
(``gripper`` 2 / 0, 1 = stay). lr adds keys every terminal sends (Shift and Ctrl alone are
not keys in a plain terminal): Page Up/Page Down for z, ``o``/``c`` to open/close. Other keys
pressed go to :meth:`get_teleop_events`: ``s`` success, ``r`` re-record, ``q`` end the episode.

``output="joints"`` (default) turns the deltas into joint targets with
:class:`~lr_robots.teleoperators.ee_jog.EndEffectorJog` at ``speed_m_s``; ``output="deltas"``
returns LeRobot's ``delta_x/y/z`` (and ``gripper``) for a pipeline that does the kinematics.
"""

from __future__ import annotations

from typing import Any

from lr_core.features import HardwareFeatures
from lr_robots.keyboard.events import KeyEvent
from lr_robots.teleoperators.ee_jog import EndEffectorJog
from lr_robots.teleoperators.events import TeleopEvents, no_events
from lr_robots.teleoperators.keyboard.config import KeyboardEndEffectorTeleopConfig
from lr_robots.teleoperators.keyboard.device import KeyboardDevice

#: key -> (axis, direction) in LeRobot's delta frame.
MOTION_KEYS: dict[str, tuple[str, int]] = {
    "up": ("y", -1), "down": ("y", 1), "left": ("x", 1), "right": ("x", -1),
    "shift_r": ("z", 1), "page_up": ("z", 1), "shift": ("z", -1), "page_down": ("z", -1),
}  # fmt: skip
OPEN_KEYS = ("ctrl_r", "o")
CLOSE_KEYS = ("ctrl_l", "c")
EVENT_KEYS = ("s", "r", "q")


def deltas(keys: frozenset[str]) -> tuple[dict[str, float], int]:
    """``({"x"|"y"|"z": -1/0/1}, gripper 0 close / 1 stay / 2 open)`` for the held ``keys``."""
    out = {"x": 0.0, "y": 0.0, "z": 0.0}
    for key in keys:
        if key in MOTION_KEYS:
            axis, direction = MOTION_KEYS[key]
            out[axis] = float(direction)
    gripper = 1 + any(k in keys for k in OPEN_KEYS) - any(k in keys for k in CLOSE_KEYS)
    return out, gripper


class KeyboardEndEffectorTeleop(KeyboardDevice):
    """See the module docstring; config :class:`KeyboardEndEffectorTeleopConfig`."""

    config_class = KeyboardEndEffectorTeleopConfig
    name = "keyboard_ee"

    def __init__(self, config: KeyboardEndEffectorTeleopConfig) -> None:
        super().__init__(config)
        self.config: KeyboardEndEffectorTeleopConfig = config
        self.jog = EndEffectorJog(
            speed_m_s=config.speed_m_s,
            gripper_speed=config.gripper_speed,
            bounds=config.bounds,
            gripper="gripper" if config.use_gripper else None,
            name="keyboard_ee",
        )
        self._pending: list[KeyEvent] = []
        self._held: frozenset[str] = frozenset()

    @property
    def keys_used(self) -> frozenset[str]:
        """Motion, gripper and event keys."""
        return frozenset((*MOTION_KEYS, *OPEN_KEYS, *CLOSE_KEYS, *EVENT_KEYS))

    @property
    def action_features(self) -> HardwareFeatures:
        """Joint targets, or LeRobot's deltas with ``output="deltas"``."""
        if self.config.output == "deltas":
            names = ["delta_x", "delta_y", "delta_z"] + (
                ["gripper"] if self.config.use_gripper else []
            )
            return dict.fromkeys(names, float)
        return dict.fromkeys((f"{m}.pos" for m in self.jog.motors), float)

    def observe(self, observation: dict[str, Any]) -> None:
        """Take the robot's joint positions (degrees) for the kinematics."""
        if self.config.output == "joints":
            self.jog.observe(observation)

    def get_action(self) -> dict[str, Any]:
        """Joint targets (or deltas) for the keys held now."""
        keys = self._keys()
        self._held = keys
        if self.keyboard is not None:
            self._pending.extend(self.keyboard.events())
        dt = self._dt()
        d, gripper = deltas(keys)
        if self.config.output == "deltas":
            action: dict[str, Any] = {"delta_x": d["x"], "delta_y": d["y"], "delta_z": d["z"]}
            if self.config.use_gripper:
                action["gripper"] = gripper
            return action
        return self.jog.step((d["x"], d["y"], d["z"]), float(gripper - 1), dt)

    def get_teleop_events(self) -> dict[TeleopEvents, bool]:
        """LeRobot's events: intervention while a motion key is held; ``s`` success, ``r``
        re-record (and end), ``q`` end the episode, each once per press."""
        if self.keyboard is None:
            return no_events()
        self._pending.extend(self.keyboard.events())
        pressed = [e.key for e in self._pending if e.pressed]
        self._pending.clear()
        held = self._held | self.keyboard.pressed()
        moving = set(MOTION_KEYS) | set(OPEN_KEYS) | set(CLOSE_KEYS)
        events = no_events()
        events[TeleopEvents.IS_INTERVENTION] = bool(held & moving)
        events[TeleopEvents.SUCCESS] = "s" in pressed
        events[TeleopEvents.RERECORD_EPISODE] = "r" in pressed
        events[TeleopEvents.TERMINATE_EPISODE] = "r" in pressed or "q" in pressed
        return events

    def disconnect(self) -> None:
        """Close the keyboard; the next connection starts from the robot's positions again."""
        super().disconnect()
        self.jog = EndEffectorJog(
            speed_m_s=self.config.speed_m_s,
            gripper_speed=self.config.gripper_speed,
            bounds=self.config.bounds,
            gripper="gripper" if self.config.use_gripper else None,
            name="keyboard_ee",
        )
