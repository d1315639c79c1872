"""LeKiwi's three-omniwheel base: body velocities <-> wheel speeds, with LeRobot's numbers.

Source: LeRobot 0.6.1 ``lerobot/robots/lekiwi/lekiwi.py`` (``_body_to_wheel_raw``,
``_wheel_raw_to_body``, ``_degps_to_raw``, ``_raw_to_degps``); the same float operations in the
same order, so the integers sent to the wheels are identical (tested against LeRobot).

::

                 x (forward)
                 ^
     left  \\     |     / right       wheels at 240°, 0°, 120° minus 90° = 150°, -90°, 30°
    (150°)  \\    |    /  (30°)        from the x axis, all base_radius R = 0.125 m from the centre
             \\   o---+-> y (left)
                 |
               back (-90°)

Body velocity ``v = (x, y, ω)`` (m/s, m/s, rad/s; ``theta.vel`` travels in deg/s) maps to each
wheel's rim speed ``s_i = cos(a_i) x + sin(a_i) y + R ω`` (m/s), i.e. ``s = M v`` with rows
``[cos a_i, sin a_i, R]``; its angular speed is ``s_i / r`` (r = 0.05 m wheel radius), sent as
raw servo velocity ``deg/s * 4096 / 360`` ticks/s rounded to an integer (Python's ``round``:
halves to even). When any wheel would exceed ``max_raw`` (3000 ticks/s) all three are scaled by
the same factor, so the base keeps its direction of travel and slows down. The inverse reads
the wheels' ``Present_Velocity`` back as ``v = M⁻¹ s``.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

#: The wheels in LeRobot's order (the rows of the kinematic matrix).
WHEELS = ("base_left_wheel", "base_back_wheel", "base_right_wheel")
#: The body velocities of a LeKiwi action or observation: m/s, m/s, deg/s.
BASE_KEYS = ("x.vel", "y.vel", "theta.vel")
WHEEL_RADIUS_M = 0.05
BASE_RADIUS_M = 0.125
#: Fastest raw wheel velocity sent (ticks/s); faster commands are scaled down.
MAX_WHEEL_RAW = 3000
STEPS_PER_DEG = 4096.0 / 360.0


@lru_cache(maxsize=8)
def kinematic_matrix(base_radius: float = BASE_RADIUS_M) -> np.ndarray:
    """``M`` (3, 3): body ``(x m/s, y m/s, ω rad/s)`` -> wheel rim speeds (m/s), rows in
    :data:`WHEELS` order. Read-only."""
    angles = np.radians(np.array([240, 0, 120]) - 90)
    m = np.array([[np.cos(a), np.sin(a), base_radius] for a in angles])
    m.setflags(write=False)
    return m


@lru_cache(maxsize=8)
def _inverse(base_radius: float) -> np.ndarray:
    m_inv = np.linalg.inv(kinematic_matrix(base_radius))
    m_inv.setflags(write=False)
    return m_inv


def degps_to_raw(degps: float) -> int:
    """A wheel speed in deg/s as a raw servo velocity (ticks/s), clamped to int16."""
    speed = round(float(degps) * STEPS_PER_DEG)
    return max(-0x8000, min(0x7FFF, speed))


def raw_to_degps(raw_speed: float) -> float:
    """A raw servo velocity (ticks/s) in deg/s."""
    return raw_speed / STEPS_PER_DEG


def body_to_wheel(
    x: float,
    y: float,
    theta: float,
    wheel_radius: float = WHEEL_RADIUS_M,
    base_radius: float = BASE_RADIUS_M,
    max_raw: int = MAX_WHEEL_RAW,
) -> tuple[dict[str, int], float]:
    """Raw wheel velocities for body velocities ``x``, ``y`` (m/s) and ``theta`` (deg/s), and
    the factor (``0 < scale <= 1``) the command was scaled by to keep every wheel within
    ``max_raw``: the base really moves at ``scale * (x, y, theta)``.

    Raises:
        ValueError: a velocity that is not a finite number.
    """
    if not all(math.isfinite(v) for v in (x, y, theta)):
        raise ValueError(f"body velocities must be finite, got x={x}, y={y}, theta={theta}")
    theta_rad = theta * (np.pi / 180.0)
    velocity = np.array([x, y, theta_rad])
    wheel_linear = kinematic_matrix(base_radius).dot(velocity)
    wheel_degps = (wheel_linear / wheel_radius) * (180.0 / np.pi)
    largest = max(abs(d) * STEPS_PER_DEG for d in wheel_degps)
    scale = 1.0
    if largest > max_raw:
        scale = max_raw / largest
        wheel_degps = wheel_degps * scale
    raws = [degps_to_raw(d) for d in wheel_degps]
    return dict(zip(WHEELS, raws, strict=True)), float(scale)


def body_to_wheel_raw(
    x: float,
    y: float,
    theta: float,
    wheel_radius: float = WHEEL_RADIUS_M,
    base_radius: float = BASE_RADIUS_M,
    max_raw: int = MAX_WHEEL_RAW,
) -> dict[str, int]:
    """``{wheel: raw velocity}`` for body velocities (LeRobot's ``_body_to_wheel_raw``); see
    :func:`body_to_wheel`."""
    return body_to_wheel(x, y, theta, wheel_radius, base_radius, max_raw)[0]


def wheel_raw_to_body(
    left_wheel_speed: float,
    back_wheel_speed: float,
    right_wheel_speed: float,
    wheel_radius: float = WHEEL_RADIUS_M,
    base_radius: float = BASE_RADIUS_M,
) -> dict[str, float]:
    """Body velocities ``{"x.vel": m/s, "y.vel": m/s, "theta.vel": deg/s}`` from raw wheel
    velocities (ticks/s), LeRobot's ``_wheel_raw_to_body``."""
    wheel_degps = np.array(
        [raw_to_degps(left_wheel_speed), raw_to_degps(back_wheel_speed),
         raw_to_degps(right_wheel_speed)]
    )  # fmt: skip
    wheel_linear = wheel_degps * (np.pi / 180.0) * wheel_radius
    x, y, theta_rad = _inverse(base_radius).dot(wheel_linear)
    return {"x.vel": float(x), "y.vel": float(y), "theta.vel": float(theta_rad * (180.0 / np.pi))}
