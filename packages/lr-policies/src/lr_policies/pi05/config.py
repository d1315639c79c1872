"""π0.5's configuration: LeRobot 0.6.1's ``PI05Config`` field names and defaults (no torch).

Physical Intelligence, "π0.5: a Vision-Language-Action Model with Open-World Generalization"
(2025), https://arxiv.org/abs/2504.16054, ported by LeRobot from openpi. As π0, but the state
enters the prompt as 256-bin discretised text, the flow-matching time conditions the expert
through adaptive RMS norms, and state/action are normalised with quantiles.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from lr_policies.pi0.config import PI0Config
from lr_policies.policy_config import NormalizationMode


def _quantiles() -> dict[str, NormalizationMode]:
    return {
        "VISUAL": NormalizationMode.IDENTITY,
        "STATE": NormalizationMode.QUANTILES,
        "ACTION": NormalizationMode.QUANTILES,
    }


class PI05Config(PI0Config):
    """π0.5 (LeRobot's ``pi05``): :class:`~lr_policies.pi0.config.PI0Config`'s fields, prompts
    of ``tokenizer_max_length`` 200 tokens and QUANTILES normalisation (q01/q99 of the dataset's
    stats)."""

    type: Literal["pi05"] = "pi05"  # type: ignore[assignment]
    implementation = "lr_policies.pi05.model:PI05Policy"
    processor_factory = "lr_policies.pi05.processor:make_pi05_pre_post_processors"

    tokenizer_max_length: int = Field(200, ge=1, le=8192)
    normalization_mapping: dict[str, NormalizationMode] = _quantiles()
