"""``gamepad`` on SDL's virtual joystick: a controller SDL itself emulates (SDL 2.0.14+),
created through the SDL library pygame loaded, read through pygame like a USB gamepad, on
SDL's dummy video driver (no display). Only the device is virtual: events, axes, buttons and
unplugging go through SDL's joystick code."""

from __future__ import annotations

import ctypes
import ctypes.util
import glob
import os

import numpy as np
import pytest

from lr_core.devices import TeleoperatorConfig
from lr_core.errors import ConfigError, HardwareError
from lr_robots.kinematics import SO101Kinematics
from lr_robots.teleoperators.events import TeleopEvents
from lr_robots.teleoperators.gamepad.config import GamepadTeleopConfig
from lr_robots.teleoperators.gamepad.teleop import GamepadTeleop

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
pygame = pytest.importorskip("pygame")

START = {"shoulder_pan.pos": 0.0, "shoulder_lift.pos": -20.0, "elbow_flex.pos": 20.0,
         "wrist_flex.pos": 60.0, "wrist_roll.pos": 0.0, "gripper.pos": 30.0}  # fmt: skip
ARM = ["shoulder_pan", "shoulder_lift", "elbow_flex", "wrist_flex", "wrist_roll"]


def _sdl() -> ctypes.CDLL:
    here = os.path.dirname(pygame.__file__)
    found = glob.glob(os.path.join(here, "..", "pygame.libs", "libSDL2-2*.so*"))
    path = found[0] if found else ctypes.util.find_library("SDL2")
    if not path:
        pytest.skip("cannot find the SDL2 library pygame uses")
    lib = ctypes.CDLL(path)
    if not hasattr(lib, "SDL_JoystickAttachVirtual"):
        pytest.skip("SDL older than 2.0.14 has no virtual joystick")
    lib.SDL_JoystickOpen.restype = ctypes.c_void_p
    lib.SDL_JoystickSetVirtualAxis.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int16]
    lib.SDL_JoystickSetVirtualButton.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_uint8]
    lib.SDL_JoystickClose.argtypes = [ctypes.c_void_p]
    return lib


class VirtualPad:
    """An SDL virtual controller: 6 axes, 12 buttons."""

    def __init__(self, sdl: ctypes.CDLL) -> None:
        self.sdl = sdl
        self.index = sdl.SDL_JoystickAttachVirtual(1, 6, 12, 1)  # SDL_JOYSTICK_TYPE_GAMECONTROLLER
        assert self.index >= 0
        self.handle = sdl.SDL_JoystickOpen(self.index)
        assert self.handle

    def axis(self, number: int, value: float) -> None:
        self.sdl.SDL_JoystickSetVirtualAxis(self.handle, number, int(np.clip(value, -1, 1) * 32767))

    def button(self, number: int, down: bool) -> None:
        self.sdl.SDL_JoystickSetVirtualButton(self.handle, number, int(down))

    def unplug(self) -> None:
        self.sdl.SDL_JoystickClose(self.handle)
        self.sdl.SDL_JoystickDetachVirtual(self.index)


@pytest.fixture
def pad(monkeypatch):
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    monkeypatch.delenv("DISPLAY", raising=False)
    sdl = _sdl()
    pygame.display.init()
    pygame.joystick.init()
    virtual = VirtualPad(sdl)
    yield virtual
    pygame.joystick.quit()
    pygame.display.quit()


def _teleop(**kwargs) -> GamepadTeleop:
    return GamepadTeleop(GamepadTeleopConfig(**kwargs))


def _step(teleop: GamepadTeleop, dt: float):
    import time

    teleop._last_step = time.perf_counter() - dt
    return teleop.get_action()


def test_deltas_are_lerobots(pad):
    teleop = _teleop(output="deltas")
    teleop.connect()
    try:
        pad.axis(1, -1.0)  # left stick up
        pad.axis(0, 0.05)  # inside the dead zone
        pad.axis(3, 0.5)  # right stick half down
        pad.button(7, True)  # open
        action = teleop.get_action()
        assert action["delta_x"] == pytest.approx(1.0, abs=1e-4)
        assert action["delta_y"] == 0.0
        assert action["delta_z"] == pytest.approx(-0.5, abs=1e-3)
        assert action["gripper"] == 2
        pad.button(6, True)  # open and close together: stay
        assert teleop.get_action()["gripper"] == 1
    finally:
        teleop.disconnect()


def test_left_stick_moves_the_gripper_forward_through_the_kinematics(pad):
    teleop = _teleop(speed_m_s=0.05)
    teleop.connect()
    try:
        teleop.observe(START)
        pad.axis(1, -1.0)  # full forward
        pad.button(7, True)
        observation = dict(START)
        for _ in range(10):
            observation = _step(teleop, 0.05)
            teleop.observe(observation)
        kin = SO101Kinematics()
        moved = (
            kin.forward([observation[f"{m}.pos"] for m in ARM])[:3, 3]
            - kin.forward([START[f"{m}.pos"] for m in ARM])[:3, 3]
        )
        assert moved[1] == pytest.approx(-0.025, abs=0.002)  # 0.5 s at 5 cm/s, forward = -y
        assert abs(moved[0]) < 1e-3 and abs(moved[2]) < 1e-3
        assert observation["gripper.pos"] == pytest.approx(30 + 50 * 0.5, abs=0.5)
    finally:
        teleop.disconnect()


def test_episode_events_as_lerobot(pad):
    teleop = _teleop()
    teleop.connect()
    try:
        pad.button(3, True)
        pad.button(5, True)
        events = teleop.get_teleop_events()
        assert events[TeleopEvents.SUCCESS] and events[TeleopEvents.IS_INTERVENTION]
        assert not teleop.get_teleop_events()[TeleopEvents.SUCCESS]  # read once
        pad.button(0, True)
        events = teleop.get_teleop_events()
        assert events["rerecord_episode"] and events["terminate_episode"]
    finally:
        teleop.disconnect()


def test_unplugging_stops_the_teleoperator(pad):
    teleop = _teleop(output="deltas")
    teleop.connect()
    try:
        teleop.get_action()
        pad.unplug()
        with pytest.raises(HardwareError, match="was disconnected"):
            teleop.get_action()
    finally:
        teleop.disconnect()


def test_no_gamepad_and_unsupported_hid(monkeypatch):
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    with pytest.raises(HardwareError, match=r"no gamepad at index 0 \(0 found\)"):
        _teleop().connect()
    with pytest.raises(ConfigError, match="hidapi_fallback"):
        _teleop(hidapi_fallback=True)
    cfg = TeleoperatorConfig.from_dict({"type": "gamepad", "use_gripper": False})
    assert cfg.implementation_class() is GamepadTeleop
