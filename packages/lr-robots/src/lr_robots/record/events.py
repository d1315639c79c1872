"""The record loop's controls: end the phase, re-record the episode, stop (LeRobot's keys).

=====================  ==========================  =======================================
action                 keys (LeRobot 0.6.1)        effect
=====================  ==========================  =======================================
next phase             Right arrow, ``n``          end the episode (it is saved) or reset
re-record              Left arrow, ``r``           end the episode, discard it, record again
stop                   Esc, ``q``                  end the episode (saved), stop recording
=====================  ==========================  =======================================

Keys come from lr-robots' shared keyboard (:func:`lr_robots.keyboard.open_keyboard`: a terminal
in cbreak mode, so SSH works, or pynput on a desktop), the same reader a keyboard teleoperator
uses, so the two never fight over the terminal. A key the teleoperator itself uses (the arrows of
``keyboard_ee``, the letters of ``keyboard``) is left to it; :meth:`RecordControls.describe`
says which keys remain. Teleoperators that report episode events (``keyboard_ee``,
``gamepad``: LeRobot's ``get_teleop_events``) can end or re-record an episode too.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from lr_core.errors import HardwareError, MissingDependencyError

logger = logging.getLogger(__name__)

#: action -> keys, in LeRobot's order (arrows first)
DEFAULT_BINDINGS: dict[str, tuple[str, ...]] = {
    "exit_early": ("right", "n"),
    "rerecord_episode": ("left", "r"),
    "stop_recording": ("esc", "q"),
}
_DESCRIPTIONS = {
    "exit_early": "end this phase (the episode is saved)",
    "rerecord_episode": "re-record this episode",
    "stop_recording": "stop recording (the episode is saved)",
}


@dataclass
class RecordEvents:
    """LeRobot's ``events`` dict as flags: set by keys or teleoperator events, cleared by the
    loop that acts on them."""

    exit_early: bool = False
    rerecord_episode: bool = False
    stop_recording: bool = False
    #: what set the last flag (``"key n"``, ``"teleop"``), for the log
    source: str = ""

    def apply(self, action: str, source: str) -> None:
        """Set the flags of ``action`` (``exit_early``, ``rerecord_episode`` or
        ``stop_recording``)."""
        self.exit_early = True
        if action == "rerecord_episode":
            self.rerecord_episode = True
        elif action == "stop_recording":
            self.stop_recording = True
        self.source = source


def teleop_keys(teleop: Any) -> frozenset[str]:
    """The keys a keyboard teleoperator reads (empty for any other teleoperator)."""
    keys = getattr(teleop, "keys_used", None)
    return frozenset(keys) if keys else frozenset()


@dataclass
class RecordControls:
    """Polls the keyboard and the teleoperator's events into :class:`RecordEvents`."""

    events: RecordEvents = field(default_factory=RecordEvents)
    bindings: dict[str, tuple[str, ...]] = field(default_factory=dict)
    keyboard: Any = None
    teleop: Any = None
    #: teleoperator events true at the last poll (an event acts when it becomes true, so a
    #: held gamepad button ends one phase, not every phase after it)
    _held: frozenset[str] = frozenset()

    @classmethod
    def open(cls, backend: str, teleop: Any = None) -> RecordControls:
        """Open the shared keyboard with ``backend`` (``"none"``: no keys). Keys the
        teleoperator reads are left to it. Without a terminal or display the loop runs on
        without keys (a warning says so), as LeRobot's does."""
        taken = teleop_keys(teleop)
        bindings = {
            action: tuple(k for k in keys if k not in taken)
            for action, keys in DEFAULT_BINDINGS.items()
        }
        keyboard = None
        if backend != "none":
            from lr_robots.keyboard import open_keyboard

            try:
                keyboard = open_keyboard(backend)
            except (HardwareError, MissingDependencyError) as exc:
                logger.warning("no keyboard controls (%s); episodes end on their own time", exc)
        has_events = callable(getattr(teleop, "get_teleop_events", None))
        return cls(bindings=bindings, keyboard=keyboard, teleop=teleop if has_events else None)

    def describe(self) -> str:
        """One line per control that has keys, e.g. ``"Right arrow / n: end this phase"``."""
        names = {"right": "Right arrow", "left": "Left arrow", "esc": "Esc"}
        lines = [
            f"  {' / '.join(names.get(k, k) for k in keys)}: {_DESCRIPTIONS[action]}"
            for action, keys in self.bindings.items()
            if keys
        ]
        if self.keyboard is None:
            return "  (no keyboard: each phase runs its full time; Ctrl-C stops)"
        return "\n".join(lines)

    def poll(self) -> RecordEvents:
        """Read pending key presses and teleoperator events; returns :attr:`events`."""
        if self.keyboard is not None:
            for event in self.keyboard.events():
                if not event.pressed:
                    continue
                for action, keys in self.bindings.items():
                    if event.key in keys:
                        self.events.apply(action, f"key {event.key}")
        if self.teleop is not None:
            from lr_robots.teleoperators.events import TeleopEvents

            try:
                flags = self.teleop.get_teleop_events()
            except Exception as exc:  # a teleop's events are a convenience, never fatal
                logger.debug("get_teleop_events failed: %s", exc)
                flags = {}
            now = frozenset(
                str(k)
                for k in (TeleopEvents.RERECORD_EPISODE, TeleopEvents.TERMINATE_EPISODE)
                if flags.get(k)
            )
            new, self._held = now - self._held, now
            if TeleopEvents.RERECORD_EPISODE in new:
                self.events.apply("rerecord_episode", "teleoperator")
            elif TeleopEvents.TERMINATE_EPISODE in new:
                self.events.apply("exit_early", "teleoperator")
        return self.events

    def close(self) -> None:
        """Release the keyboard (the terminal is restored when its last user closes it)."""
        if self.keyboard is not None:
            self.keyboard.close()
            self.keyboard = None
