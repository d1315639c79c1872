"""The policy contract and the base of policy configs (no torch needed to use either)."""

from __future__ import annotations

from typing import Any, ClassVar, Protocol, runtime_checkable

from lr_core.config import PluginConfig
from lr_core.features import PolicyFeature


class PolicyConfig(PluginConfig):
    """Base of policy configs (``lr.policies``); a checkpoint's ``config.json`` validates
    against it anywhere, torch installed or not.

    ``input_features`` / ``output_features`` map dataset keys to their role and shape (CHW
    for images); they are filled from the dataset's features when left empty.
    """

    registry_group: ClassVar[str | None] = "lr.policies"

    input_features: dict[str, PolicyFeature] = {}
    """Policy inputs: key -> role and shape (filled from the dataset when empty)."""
    output_features: dict[str, PolicyFeature] = {}
    """Policy outputs: key -> role and shape (filled from the dataset when empty)."""
    device: str | None = None
    """Torch device the policy runs on (default: cuda when available, else cpu)."""

    @property
    def observation_delta_indices(self) -> list[int] | None:
        """Frame offsets a training sample loads for every ``observation.*`` key (``None``:
        the current frame only)."""
        return None

    @property
    def action_delta_indices(self) -> list[int] | None:
        """Frame offsets loaded for ``action`` (``None``: the current frame only)."""
        return None

    @property
    def reward_delta_indices(self) -> list[int] | None:
        """Frame offsets loaded for ``next.reward`` (``None``: not loaded)."""
        return None


@runtime_checkable
class Policy(Protocol):
    """What every policy offers (implemented as ``torch.nn.Module`` subclasses in lr-policies).

    Batches are dicts of tensors: ``observation.state`` ``(B, D_state)``,
    ``observation.images.<cam>`` ``(B, 3, H, W)`` float in [0, 1], ``action`` ``(B, T, D_action)``.
    """

    config: PolicyConfig

    def forward(self, batch: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        """Training loss (a scalar tensor) and a dict of loggable floats."""
        ...

    def select_action(self, observation: dict[str, Any]) -> Any:
        """The next action ``(B, D_action)``, popped from an internal queue of chunks."""
        ...

    def predict_action_chunk(self, observation: dict[str, Any]) -> Any:
        """A whole chunk of actions ``(B, T, D_action)`` for this observation."""
        ...

    def reset(self) -> None:
        """Clear internal queues; call at the start of every episode."""
        ...
