"""π0's pre/post-processors, in LeRobot 0.6.1's order (``make_pi0_pre_post_processors``)::

    policy_preprocessor  = [rename_observations_processor, to_batch_processor,
                            pi0_new_line_processor, tokenizer_processor, device_processor,
                            relative_actions_processor, normalizer_processor]
    policy_postprocessor = [unnormalizer_processor, absolute_actions_processor,
                            device_processor("cpu")]

The tokenizer is PaliGemma's (``google/paligemma-3b-pt-224``), padded to
``tokenizer_max_length`` tokens.
"""

from __future__ import annotations

from collections.abc import Mapping

from lr_policies.pi0.config import PALIGEMMA_TOKENIZER, PI0Config
from lr_policies.processors.factory import normalizer_steps, postprocessor, preprocessor
from lr_policies.processors.language import Pi0NewLineStep, TokenizerStep
from lr_policies.processors.normalize import Stats
from lr_policies.processors.pipeline import PolicyProcessorPipeline
from lr_policies.processors.relative_actions import AbsoluteActionsStep, RelativeActionsStep
from lr_policies.processors.steps import DeviceStep


def paligemma_tokenizer_step(config: PI0Config, tokenizer_name: str | None = None) -> TokenizerStep:
    """The tokenizer step of π0 and π0.5 (max-length padding on the right)."""
    return TokenizerStep(
        tokenizer_name=tokenizer_name or PALIGEMMA_TOKENIZER,
        max_length=config.tokenizer_max_length,
        padding_side="right",
        padding="max_length",
    )


def relative_action_steps(config: PI0Config) -> tuple[RelativeActionsStep, AbsoluteActionsStep]:
    """π0's and π0.5's ``relative_actions_processor`` and its inverse, paired (they share the
    current state); both pass actions through unchanged unless ``use_relative_actions``."""
    relative = RelativeActionsStep(
        enabled=config.use_relative_actions,
        exclude_joints=config.relative_exclude_joints,
        action_names=config.action_feature_names,
    )
    return relative, AbsoluteActionsStep(
        enabled=config.use_relative_actions, relative_step=relative
    )


def make_pi0_pre_post_processors(
    config: PI0Config,
    dataset_stats: Stats | None = None,
    *,
    rename_map: Mapping[str, str] | None = None,
    device: str | None = None,
    tokenizer_name: str | None = None,
) -> tuple[PolicyProcessorPipeline, PolicyProcessorPipeline]:
    """Fresh π0 processors with the dataset's statistics (only the config's features).
    ``tokenizer_name`` replaces PaliGemma's Hub id (a local folder, for offline machines)."""
    normalizer, unnormalizer = normalizer_steps(config, dataset_stats)
    relative, absolute = relative_action_steps(config)
    pre = preprocessor(
        rename_map,
        [
            Pi0NewLineStep(),
            paligemma_tokenizer_step(config, tokenizer_name),
            DeviceStep(device or config.device or "cpu"),
            relative,
            normalizer,
        ],
    )
    return pre, postprocessor([unnormalizer, absolute])
