"""Relative actions (LeRobot 0.6.1's ``relative_actions_processor`` /
``absolute_actions_processor``, openpi's DeltaActions): the pre-processor makes ``action``
relative to the current ``observation.state`` (``action - state``, on the joints not excluded),
the post-processor adds the state back. Disabled steps pass batches through (they are still
saved, as LeRobot saves them).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import torch
from torch import Tensor

from lr_policies.errors import PolicyError
from lr_policies.processors.pipeline import Batch, ProcessorStep, register_step


def _shift(actions: Tensor, state: Tensor, mask: Sequence[bool], sign: float) -> Tensor:
    """``actions ± state`` on the first ``len(mask)`` dims where ``mask``; actions (B, [T,] D),
    state (B, D_state)."""
    mask_t = torch.tensor(mask, dtype=actions.dtype, device=actions.device)
    dims = mask_t.shape[0]
    state = state.to(device=actions.device, dtype=actions.dtype)
    offset = state[..., :dims] * mask_t
    if actions.ndim == 3:
        offset = offset.unsqueeze(-2)
    out = actions.clone()
    out[..., :dims] += sign * offset
    return out


@register_step
class RelativeActionsStep(ProcessorStep):
    """Convert ``action`` to ``action - observation.state`` (pre-processor). Remembers the last
    state for the paired :class:`AbsoluteActionsStep`.

    ``exclude_joints``: action names (or name parts, case-insensitive) kept absolute, e.g.
    ``["gripper"]``; ``action_names``: the action's dimension names (from the dataset).
    """

    registry_name: ClassVar[str] = "relative_actions_processor"

    def __init__(
        self,
        enabled: bool = False,
        exclude_joints: list[str] | None = None,
        action_names: list[str] | None = None,
    ) -> None:
        self.enabled = bool(enabled)
        self.exclude_joints = list(exclude_joints or [])
        self.action_names = None if action_names is None else list(action_names)
        self.last_state: Tensor | None = None

    def mask(self, action_dim: int) -> list[bool]:
        """Which of the ``action_dim`` dimensions are made relative."""
        tokens = [str(n).lower() for n in self.exclude_joints if n]
        if not tokens or self.action_names is None:
            return [True] * action_dim
        mask = [
            not any(t == str(n).lower() or t in str(n).lower() for t in tokens)
            for n in self.action_names[:action_dim]
        ]
        return mask + [True] * (action_dim - len(mask))

    def __call__(self, batch: Batch) -> Batch:
        state = batch.get("observation.state")
        if state is not None:
            self.last_state = state
        if not self.enabled or state is None or batch.get("action") is None:
            return dict(batch)
        out = dict(batch)
        action = out["action"]
        out["action"] = _shift(action, state, self.mask(action.shape[-1]), -1.0)
        return out

    def get_config(self) -> dict[str, Any]:
        return {
            "enabled": self.enabled,
            "exclude_joints": self.exclude_joints,
            "action_names": self.action_names,
        }


@register_step
class AbsoluteActionsStep(ProcessorStep):
    """Add the state the paired :class:`RelativeActionsStep` last saw back to ``action``
    (post-processor)."""

    registry_name: ClassVar[str] = "absolute_actions_processor"

    def __init__(self, enabled: bool = False, relative_step: RelativeActionsStep | None = None):
        self.enabled = bool(enabled)
        self.relative_step = relative_step

    def __call__(self, batch: Batch) -> Batch:
        if not self.enabled:
            return dict(batch)
        if self.relative_step is None or self.relative_step.last_state is None:
            raise PolicyError(
                "absolute_actions_processor needs the state its paired relative_actions_processor "
                "saw: run the pre-processor on the observation before post-processing its actions"
            )
        out = dict(batch)
        action = out["action"]
        mask = self.relative_step.mask(action.shape[-1])
        out["action"] = _shift(action, self.relative_step.last_state, mask, 1.0)
        return out

    def get_config(self) -> dict[str, Any]:
        return {"enabled": self.enabled}


def pair_relative_steps(pre: Any, post: Any) -> None:
    """Connect a loaded post-processor's absolute step to the pre-processor's relative step."""
    relative = next((s for s in pre.steps if isinstance(s, RelativeActionsStep)), None)
    for step in post.steps:
        if isinstance(step, AbsoluteActionsStep) and step.relative_step is None:
            step.relative_step = relative
