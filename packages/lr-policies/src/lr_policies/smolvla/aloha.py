"""SmolVLA's ``adapt_to_pi_aloha``: ALOHA's joint/gripper conventions mapped to those of the
π internal runtime the base model was trained with (LeRobot 0.6.1's ``modeling_smolvla.py``,
from openpi's ALOHA policy): joints 1, 2, 8, 9 change sign, the grippers (6 and 13) move between
ALOHA's linear positions and angles. Inputs are (B, D) states or (B, T, D) actions, 14-d.
"""

from __future__ import annotations

import torch
from torch import Tensor

FLIPPED = (1, 2, 8, 9)
GRIPPERS = (6, 13)


def _normalize(x: Tensor, low: float, high: float) -> Tensor:
    return (x - low) / (high - low)


def _unnormalize(x: Tensor, low: float, high: float) -> Tensor:
    return x * (high - low) + low


def gripper_to_angular(value: Tensor) -> Tensor:
    """ALOHA's linear gripper position → the angle space, in [0, 1] (Interbotix geometry)."""
    value = _unnormalize(value, 0.01844, 0.05800)  # PUPPET_GRIPPER_POSITION_OPEN / CLOSED
    arm, horn = 0.036, 0.022
    ratio = (horn**2 + value**2 - arm**2) / (2 * horn * value)
    return _normalize(torch.arcsin(torch.clamp(ratio, -1.0, 1.0)), 0.4, 1.5)


def gripper_from_angular(value: Tensor) -> Tensor:
    """The model's gripper angle → ALOHA's gripper joint range."""
    return _normalize(_unnormalize(value, 0.4, 1.5), -0.6213, 1.4910)


def gripper_from_angular_inv(value: Tensor) -> Tensor:
    """Inverse of :func:`gripper_from_angular`."""
    return _normalize(_unnormalize(value, -0.6213, 1.4910), 0.4, 1.5)


def _apply(x: Tensor, gripper) -> Tensor:  # type: ignore[no-untyped-def]
    x = x.clone()
    for i in FLIPPED:
        x[..., i] = -x[..., i]
    for i in GRIPPERS:
        x[..., i] = gripper(x[..., i])
    return x


def decode_state(state: Tensor) -> Tensor:
    """ALOHA state → the model's convention."""
    return _apply(state, gripper_to_angular)


def encode_actions(actions: Tensor) -> Tensor:
    """The model's actions → ALOHA's convention (at inference)."""
    return _apply(actions, gripper_from_angular)


def encode_actions_inv(actions: Tensor) -> Tensor:
    """ALOHA actions → the model's convention (training targets)."""
    return _apply(actions, gripper_from_angular_inv)
