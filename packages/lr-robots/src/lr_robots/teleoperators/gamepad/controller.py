"""A game controller read through SDL (pygame), without a window and over SSH.

:class:`SDLGamepad` initialises only what reading a controller needs: the video subsystem with
SDL's ``dummy`` driver when there is no display (pygame's event queue needs it), the joystick
subsystem, and SDL's hint to deliver controller events to a process without a focused window.
Each :meth:`~SDLGamepad.update` drains SDL's events: button presses and releases, and the
controller being unplugged, after which reading it is an error (the control loop stops).

Button and axis numbers are SDL's joystick ones, as LeRobot's ``GamepadController`` uses them
(``lerobot/teleoperators/gamepad/gamepad_utils.py``).
"""

from __future__ import annotations

import os
from typing import Any

from lr_core.errors import HardwareError, require


def import_pygame() -> Any:
    """pygame without its banner, or :class:`MissingDependencyError` naming the extra."""
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    return require("pygame", "gamepad", "lr-robots")


class SDLGamepad:
    """One controller (``index`` in SDL's order)."""

    def __init__(self, index: int = 0) -> None:
        self.index = index
        self.pygame: Any = None
        self.joystick: Any = None
        self.name = ""
        self.removed = False
        self._pressed: set[int] = set()
        self._released: set[int] = set()

    def start(self) -> None:
        """Open the controller.

        Raises:
            MissingDependencyError: pygame is missing.
            HardwareError: no controller at ``index``.
        """
        if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
            os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
        os.environ.setdefault("SDL_JOYSTICK_ALLOW_BACKGROUND_EVENTS", "1")
        pygame = import_pygame()
        self.pygame = pygame
        pygame.display.init()
        pygame.joystick.init()
        pygame.event.pump()
        count = pygame.joystick.get_count()
        if self.index >= count:
            self.stop()
            raise HardwareError(
                f"no gamepad at index {self.index} ({count} found); plug one in (USB or "
                "Bluetooth) and check that the system sees it"
            )
        self.joystick = pygame.joystick.Joystick(self.index)
        self.joystick.init()
        self.name = self.joystick.get_name()
        self.removed = False

    def update(self) -> tuple[set[int], set[int]]:
        """Process SDL's events; return the buttons pressed and released since the last call.

        Raises:
            HardwareError: the controller was unplugged.
        """
        pygame = self.pygame
        pressed, released = set(), set()
        ours = self.joystick.get_instance_id()
        for event in pygame.event.get():
            if event.type == pygame.JOYDEVICEREMOVED and event.instance_id == ours:
                self.removed = True
            elif event.type == pygame.JOYBUTTONDOWN and event.instance_id == ours:
                pressed.add(event.button)
            elif event.type == pygame.JOYBUTTONUP and event.instance_id == ours:
                released.add(event.button)
        if self.removed:
            raise HardwareError(f"the gamepad {self.name!r} was disconnected")
        return pressed, released

    def axis(self, number: int) -> float:
        """Axis ``number`` in -1..1 (0 if the controller has fewer axes)."""
        if number >= self.joystick.get_numaxes():
            return 0.0
        return float(self.joystick.get_axis(number))

    def button(self, number: int) -> bool:
        """Whether button ``number`` is held."""
        return number < self.joystick.get_numbuttons() and bool(self.joystick.get_button(number))

    def stop(self) -> None:
        """Release the controller and SDL's subsystems."""
        if self.pygame is None:
            return
        if self.joystick is not None:
            self.joystick.quit()
            self.joystick = None
        self.pygame.joystick.quit()
        self.pygame.display.quit()
        self.pygame = None
