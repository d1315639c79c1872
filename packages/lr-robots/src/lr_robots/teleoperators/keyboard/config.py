"""Configs of the keyboard teleoperators (cheap to import): LeRobot 0.6.1's names and fields,
plus the keyboard back end and lr's own settings.

Key names are those of :mod:`lr_robots.keyboard.events` (``"w"``, ``"up"``, ``"shift_r"``...).
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from lr_core.devices import TeleoperatorConfig
from lr_robots.teleoperators.ee_jog import DEFAULT_BOUNDS

#: The SO-101's motors in bus order.
SO101_MOTORS = [
    "shoulder_pan",
    "shoulder_lift",
    "elbow_flex",
    "wrist_flex",
    "wrist_roll",
    "gripper",
]

#: Joint jog keys: one keyboard column per joint, the top row turns it one way, the row
#: below the other (q/a shoulder_pan ... y/h gripper: y opens).
DEFAULT_JOG_KEYS: dict[str, tuple[str, int]] = {
    "q": ("shoulder_pan", 1), "a": ("shoulder_pan", -1),
    "w": ("shoulder_lift", 1), "s": ("shoulder_lift", -1),
    "e": ("elbow_flex", 1), "d": ("elbow_flex", -1),
    "r": ("wrist_flex", 1), "f": ("wrist_flex", -1),
    "t": ("wrist_roll", 1), "g": ("wrist_roll", -1),
    "y": ("gripper", 1), "h": ("gripper", -1),
}  # fmt: skip

#: LeKiwi's base keys (LeRobot's ``LeKiwiClientConfig.teleop_keys``).
LEKIWI_TELEOP_KEYS: dict[str, str] = {
    "forward": "w", "backward": "s", "left": "a", "right": "d",
    "rotate_left": "z", "rotate_right": "x", "speed_up": "r", "speed_down": "f", "quit": "q",
}  # fmt: skip
#: LeKiwi's speed levels: body speed (m/s) and turn rate (deg/s). These are the values of
#: LeRobot 0.6.1's ``LeKiwiClient.speed_levels``; its comment beside them says 0.25 / 0.4.
LEKIWI_SPEED_LEVELS: list[dict[str, float]] = [
    {"xy": 0.1, "theta": 30},
    {"xy": 0.2, "theta": 60},
    {"xy": 0.3, "theta": 90},
]


class KeyboardInputConfig(TeleoperatorConfig):
    """Where keys come from (lr's fields).

    - ``backend``: ``"terminal"`` (the terminal the command runs in; over SSH too),
      ``"pynput"`` (a desktop session, whichever window has focus) or ``"auto"`` (pynput on
      an X11/macOS/Windows desktop where it is installed, else the terminal).
    - ``hold_s``: in a terminal without the kitty keyboard protocol, how long a key counts as
      held after its last auto-repeat.
    """

    backend: Literal["auto", "terminal", "pynput"] = "auto"
    hold_s: float = Field(default=0.15, gt=0)


class KeyboardTeleopConfig(KeyboardInputConfig):
    """``keyboard``: jog the arm's joints with keys (:mod:`...keyboard.joint_jog`).

    - ``output``: ``"joints"`` (``{"<motor>.pos": target}``, the default) or ``"keys"``
      (LeRobot's ``{key: None}`` of the keys held, for code that maps keys itself, such as
      LeKiwi's base control).
    - ``motors``: the motors the actions name; ``keys``: key -> ``[motor, +1 or -1]``.
    - ``speed``: how fast a held key turns its joint (robot units/s: degrees, 0..100 for the
      gripper); ``speeds`` overrides it per motor.
    - ``max_lead``: how far a target may run ahead of the measured position (robot units).
    """

    type: Literal["keyboard"] = "keyboard"
    implementation: ClassVar[str] = "lr_robots.teleoperators.keyboard.joint_jog:KeyboardTeleop"

    output: Literal["joints", "keys"] = "joints"
    motors: list[str] = Field(default_factory=lambda: list(SO101_MOTORS))
    keys: dict[str, tuple[str, int]] = Field(default_factory=lambda: dict(DEFAULT_JOG_KEYS))
    speed: float = Field(default=30.0, gt=0)
    speeds: dict[str, float] = Field(default_factory=lambda: {"gripper": 50.0})
    """Per-motor overrides of speed, {motor: robot units/s}."""
    max_lead: float = Field(default=15.0, gt=0)


class KeyboardEndEffectorTeleopConfig(KeyboardInputConfig):
    """``keyboard_ee``: move the SO-101's gripper in Cartesian space with the arrow keys.

    LeRobot's keys: arrows move in the horizontal plane (up = forward), right/left Shift move
    up/down, right/left Ctrl open/close the gripper; lr adds Page Up/Page Down for up/down and
    ``o``/``c`` for open/close, which every terminal sends. ``s``/``r``/``q`` end the episode
    (success / re-record / quit) through ``get_teleop_events``.

    - ``use_gripper``: include the gripper (LeRobot's field).
    - ``output``: ``"joints"`` (default: joint targets through the SO-101's inverse
      kinematics) or ``"deltas"`` (LeRobot's ``delta_x/y/z`` and ``gripper`` 0/1/2, for a
      pipeline that does its own kinematics).
    - ``speed_m_s``, ``gripper_speed`` (0..100 units/s), ``bounds`` (m, the URDF base frame).
    """

    type: Literal["keyboard_ee"] = "keyboard_ee"
    implementation: ClassVar[str] = (
        "lr_robots.teleoperators.keyboard.end_effector:KeyboardEndEffectorTeleop"
    )

    use_gripper: bool = True
    """Include the gripper in the actions (LeRobot's field)."""
    output: Literal["joints", "deltas"] = "joints"
    """joints: joint targets through the SO-101's inverse kinematics; deltas: LeRobot's
    delta_x/y/z and gripper 0/1/2, for a pipeline that does its own kinematics."""
    speed_m_s: float = Field(default=0.05, gt=0)
    """How fast the gripper moves in space while a key is held, in metres per second."""
    gripper_speed: float = Field(default=50.0, gt=0)
    """How fast the gripper opens or closes, in gripper units (0..100) per second."""
    bounds: dict[str, tuple[float, float, float]] = Field(
        default_factory=lambda: {k: tuple(v) for k, v in DEFAULT_BOUNDS.items()}
    )
    """Box the gripper stays in, {"min": [x, y, z], "max": [x, y, z]} in metres, in the URDF
    base frame."""


class KeyboardRoverTeleopConfig(KeyboardInputConfig):
    """``keyboard_rover``: drive a mobile robot with WASD (LeRobot 0.6.1's fields and keys).

    w/s forward/back, a/d turn (with ``turn_assist_ratio`` of forward speed), q/e turn on the
    spot, x stop, +/= and - change speed. Actions: ``linear_velocity``, ``angular_velocity``.
    """

    type: Literal["keyboard_rover"] = "keyboard_rover"
    implementation: ClassVar[str] = "lr_robots.teleoperators.keyboard.rover:KeyboardRoverTeleop"

    linear_speed: float = 1.0
    """Starting forward speed (-1..1 for SDK robots)."""
    angular_speed: float = 1.0
    """Starting turn speed (-1..1 for SDK robots)."""
    speed_increment: float = 0.1
    """How much + and - change the forward speed per press."""
    turn_assist_ratio: float = 0.3
    """Fraction of the forward speed added when turning with a/d alone (0..1)."""
    angular_speed_ratio: float = 0.6
    """Turn-speed change per + or - press, as a fraction of speed_increment."""
    min_linear_speed: float = 0.1
    """Lowest forward speed the - key can reach."""
    min_angular_speed: float = 0.05
    """Lowest turn speed the - key can reach."""


class KeyboardBaseTeleopConfig(KeyboardInputConfig):
    """``keyboard_base``: LeKiwi's base keys as a teleoperator (lr's; LeRobot does this inside
    ``LeKiwiClient``). Actions ``x.vel`` (m/s), ``y.vel`` (m/s), ``theta.vel`` (deg/s).

    ``teleop_keys`` and ``speed_levels`` are LeKiwi's; the speed starts at the first level.
    """

    type: Literal["keyboard_base"] = "keyboard_base"
    implementation: ClassVar[str] = "lr_robots.teleoperators.keyboard.holonomic:KeyboardBaseTeleop"

    teleop_keys: dict[str, str] = Field(default_factory=lambda: dict(LEKIWI_TELEOP_KEYS))
    """Key of each base command: forward, backward, left, right, rotate_left, rotate_right,
    speed_up, speed_down, quit."""
    speed_levels: list[dict[str, float]] = Field(
        default_factory=lambda: [dict(level) for level in LEKIWI_SPEED_LEVELS]
    )
    """Speeds speed_up / speed_down step through, [{"xy": m/s, "theta": deg/s}], starting at
    the first."""
