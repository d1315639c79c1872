"""Config of the ``gamepad`` teleoperator (cheap to import): LeRobot 0.6.1's fields plus lr's."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from lr_core.devices import TeleoperatorConfig
from lr_robots.teleoperators.ee_jog import DEFAULT_BOUNDS


class GamepadTeleopConfig(TeleoperatorConfig):
    """A game controller moving the SO-101's gripper (needs ``lr-robots[gamepad]``).

    LeRobot's fields: ``use_gripper``; ``hidapi_fallback`` (LeRobot's raw-HID reader for a
    Logitech RumblePad 2; lr reads every controller through SDL and refuses ``true``).
    lr's: ``output`` (``"joints"``: joint targets through the SO-101's kinematics, the default;
    ``"deltas"``: LeRobot's ``delta_x/y/z`` and ``gripper`` 0/1/2), ``speed_m_s`` at full
    stick, ``gripper_speed`` (0..100 units/s), ``bounds`` (m, the URDF base frame),
    ``deadzone`` (stick travel ignored around the centre), ``joystick_index`` (which
    controller, in SDL's order).
    """

    type: Literal["gamepad"] = "gamepad"
    implementation: ClassVar[str] = "lr_robots.teleoperators.gamepad.teleop:GamepadTeleop"

    use_gripper: bool = True
    """Include the gripper in the actions (LeRobot's field)."""
    hidapi_fallback: bool = False
    """LeRobot's raw-HID reader for controllers pygame misses; lr reads every controller
    through SDL and refuses true."""
    output: Literal["joints", "deltas"] = "joints"
    """joints: joint targets through the SO-101's inverse kinematics; deltas: LeRobot's
    delta_x/y/z and gripper 0/1/2, for a pipeline that does its own kinematics."""
    speed_m_s: float = Field(default=0.05, gt=0)
    """How fast the gripper moves in space at full stick travel, in metres per second."""
    gripper_speed: float = Field(default=50.0, gt=0)
    """How fast the gripper opens or closes, in gripper units (0..100) per second."""
    bounds: dict[str, tuple[float, float, float]] = Field(
        default_factory=lambda: {k: tuple(v) for k, v in DEFAULT_BOUNDS.items()}
    )
    """Box the gripper stays in, {"min": [x, y, z], "max": [x, y, z]} in metres, in the URDF
    base frame."""
    deadzone: float = Field(default=0.1, ge=0, lt=1)
    """Stick travel ignored around the centre, as a fraction of full travel (0..1)."""
    joystick_index: int = Field(default=0, ge=0)
    """Which controller to use when several are plugged in, in SDL's order."""
