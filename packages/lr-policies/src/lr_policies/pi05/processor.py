"""π0.5's pre/post-processors, in LeRobot 0.6.1's order (``make_pi05_pre_post_processors``)::

    policy_preprocessor  = [rename_observations_processor, to_batch_processor,
                            relative_actions_processor, normalizer_processor,
                            pi05_prepare_state_tokenizer_processor_step, tokenizer_processor,
                            device_processor]
    policy_postprocessor = [unnormalizer_processor, absolute_actions_processor,
                            device_processor("cpu")]

The normalised state (QUANTILES: q01/q99 → [-1, 1]) is discretised into 256 bins and written
into the prompt: ``"Task: <task>, State: <b0> <b1> ...;\\nAction: "`` (openpi's
``PaligemmaTokenizer.tokenize``), which is then tokenised to ``tokenizer_max_length`` tokens.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np

from lr_policies.errors import PolicyError
from lr_policies.pi0.processor import paligemma_tokenizer_step, relative_action_steps
from lr_policies.pi05.config import PI05Config
from lr_policies.processors.factory import normalizer_steps, postprocessor, preprocessor
from lr_policies.processors.language import task_list
from lr_policies.processors.normalize import Stats
from lr_policies.processors.pipeline import (
    Batch,
    PolicyProcessorPipeline,
    ProcessorStep,
    register_step,
)
from lr_policies.processors.steps import DeviceStep

#: Bin edges of the state discretisation: 256 bins over [-1, 1] (openpi).
STATE_BINS = np.linspace(-1, 1, 256 + 1)[:-1]


def state_prompt(task: str, state: np.ndarray) -> str:
    """π0.5's prompt for one sample: the cleaned task and the state (D,) as bin indices."""
    bins = np.digitize(state, bins=STATE_BINS) - 1
    text = task.strip().replace("_", " ").replace("\n", " ")
    return f"Task: {text}, State: {' '.join(map(str, bins))};\nAction: "


@register_step
class Pi05StatePromptStep(ProcessorStep):
    """Replace ``batch[task_key]`` with π0.5's prompts holding the discretised normalised
    ``observation.state`` (B, D); runs after the normaliser."""

    registry_name: ClassVar[str] = "pi05_prepare_state_tokenizer_processor_step"

    def __init__(self, max_state_dim: int = 32, task_key: str = "task") -> None:
        self.max_state_dim = int(max_state_dim)
        self.task_key = task_key

    def __call__(self, batch: Batch) -> Batch:
        state = batch.get("observation.state")
        if state is None:
            raise PolicyError("π0.5 needs observation.state: it is written into the prompt")
        tasks = task_list(batch, self.task_key)
        states = state.detach().cpu().numpy()
        if states.ndim == 1:
            states = states[None]
        states = states.reshape(states.shape[0], -1)
        out = dict(batch)
        out[self.task_key] = [state_prompt(t, states[i]) for i, t in enumerate(tasks)]
        return out

    def get_config(self) -> dict[str, Any]:
        return {"max_state_dim": self.max_state_dim, "task_key": self.task_key}


def make_pi05_pre_post_processors(
    config: PI05Config,
    dataset_stats: Stats | None = None,
    *,
    rename_map: Mapping[str, str] | None = None,
    device: str | None = None,
    tokenizer_name: str | None = None,
) -> tuple[PolicyProcessorPipeline, PolicyProcessorPipeline]:
    """Fresh π0.5 processors with the dataset's statistics (QUANTILES needs q01/q99)."""
    normalizer, unnormalizer = normalizer_steps(config, dataset_stats)
    relative, absolute = relative_action_steps(config)
    pre = preprocessor(
        rename_map,
        [
            relative,
            normalizer,
            Pi05StatePromptStep(max_state_dim=config.max_state_dim),
            paligemma_tokenizer_step(config, tokenizer_name),
            DeviceStep(device or config.device or "cpu"),
        ],
    )
    return pre, postprocessor([unnormalizer, absolute])
