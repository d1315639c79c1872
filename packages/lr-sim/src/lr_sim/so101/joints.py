"""The simulated SO-101's motors, joint limits and LeRobot's normalised units.

The real SO-101 follower reports and accepts motor positions in normalised units (LeRobot's
``MotorNormMode``): ``RANGE_M100_100`` maps a calibrated range of travel onto −100..100 for the
five arm joints, ``RANGE_0_100`` maps the gripper's onto 0..100 (0 = closed, 100 = open). The
simulated arm uses the same units, with the "calibrated range" of each joint being the travel of
the real arm's joint (from the SO-101 CAD model, zero at the middle of the range):

| motor | range (degrees) |
|---|---|
| shoulder_pan | −110 .. 110 |
| shoulder_lift | −100 .. 100 |
| elbow_flex | −96.8 .. 96.8 |
| wrist_flex | −95 .. 95 |
| wrist_roll | −180 .. 180 (the real calibration forces the full turn 0..4095) |
| gripper | −10 .. 100 |

``use_degrees=True`` (LeRobot's default for the real arm since 0.4) reports the arm joints in
degrees from the middle of the range instead; the gripper stays 0..100.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from lr_core.motors import MotorNormMode


@dataclass(frozen=True)
class JointSpec:
    """One motor: its name, its joint's travel ``[lower, upper]`` in radians (the MJCF joint
    range), and the calibrated range the normalisation uses (``norm_lower``/``norm_upper``)."""

    name: str
    lower: float
    upper: float
    norm_mode: MotorNormMode
    norm_lower: float
    norm_upper: float


def _deg(value: float) -> float:
    return math.radians(value)


#: The six motors in bus order (ids 1..6), as the real follower names them.
JOINTS: tuple[JointSpec, ...] = (
    JointSpec("shoulder_pan", -1.91986, 1.91986, MotorNormMode.RANGE_M100_100, -1.91986, 1.91986),
    JointSpec("shoulder_lift", -1.74533, 1.74533, MotorNormMode.RANGE_M100_100, -1.74533, 1.74533),
    JointSpec("elbow_flex", -1.69, 1.69, MotorNormMode.RANGE_M100_100, -1.69, 1.69),
    JointSpec("wrist_flex", -1.65806, 1.65806, MotorNormMode.RANGE_M100_100, -1.65806, 1.65806),
    JointSpec("wrist_roll", -2.74385, 2.84121, MotorNormMode.RANGE_M100_100, -math.pi, math.pi),
    JointSpec(
        "gripper", _deg(-10.0), _deg(100.0), MotorNormMode.RANGE_0_100, _deg(-10.0), _deg(100.0)
    ),
)
MOTOR_NAMES: tuple[str, ...] = tuple(j.name for j in JOINTS)
#: Feature names of ``observation.state`` and ``action`` (``"shoulder_pan.pos"``...).
STATE_NAMES: list[str] = [f"{name}.pos" for name in MOTOR_NAMES]
ARM_JOINTS = 5

_LOWER = np.array([j.lower for j in JOINTS])
_UPPER = np.array([j.upper for j in JOINTS])
_NLO = np.array([j.norm_lower for j in JOINTS])
_NHI = np.array([j.norm_upper for j in JOINTS])
_IS_GRIPPER = np.array([j.norm_mode is MotorNormMode.RANGE_0_100 for j in JOINTS])


def normalized_bounds(use_degrees: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Lowest and highest normalised value per motor, shape ``(6,)`` float32."""
    lo = np.where(_IS_GRIPPER, 0.0, -100.0)
    hi = np.where(_IS_GRIPPER, 100.0, 100.0)
    if use_degrees:
        lo = np.where(_IS_GRIPPER, lo, np.degrees(_LOWER - (_NLO + _NHI) / 2))
        hi = np.where(_IS_GRIPPER, hi, np.degrees(_UPPER - (_NLO + _NHI) / 2))
    return lo.astype(np.float32), hi.astype(np.float32)


def radians_to_normalized(q: np.ndarray, use_degrees: bool = False) -> np.ndarray:
    """Joint angles ``(..., 6)`` in radians → normalised motor units (float32), clamped to the
    calibrated range like the real bus does."""
    q = np.asarray(q, dtype=np.float64)
    frac = np.clip((q - _NLO) / (_NHI - _NLO), 0.0, 1.0)
    out = np.where(_IS_GRIPPER, frac * 100.0, frac * 200.0 - 100.0)
    if use_degrees:
        out = np.where(_IS_GRIPPER, out, np.degrees(q - (_NLO + _NHI) / 2))
    return out.astype(np.float32)


def normalized_to_radians(values: np.ndarray, use_degrees: bool = False) -> np.ndarray:
    """Normalised motor units ``(..., 6)`` → joint angles in radians, clipped to the joints'
    travel (what a position-controlled servo can reach)."""
    v = np.asarray(values, dtype=np.float64)
    frac = np.where(_IS_GRIPPER, v / 100.0, (v + 100.0) / 200.0)
    q = _NLO + frac * (_NHI - _NLO)
    if use_degrees:
        q = np.where(_IS_GRIPPER, q, np.radians(v) + (_NLO + _NHI) / 2)
    return np.clip(q, _LOWER, _UPPER)
