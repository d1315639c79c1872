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
from lr_policies.processors.factory import (
    POSTPROCESSOR_NAME,
    PREPROCESSOR_NAME,
    normalization_mapping,
)
from lr_policies.processors.language import Pi0NewLineStep, TokenizerStep
from lr_policies.processors.normalize import NormalizerStep, Stats, UnnormalizerStep
from lr_policies.processors.pipeline import PolicyProcessorPipeline
from lr_policies.processors.relative_actions import AbsoluteActionsStep, RelativeActionsStep
from lr_policies.processors.steps import AddBatchDimensionStep, DeviceStep, RenameObservationsStep


def paligemma_tokenizer_step(config: PI0Config, tokenizer_name: str | None = None) -> TokenizerStep:
    """The tokenizer step of π0 and π0.5 (max-length padding on the right)."""
    return TokenizerStep(
        tokenizer_name=tokenizer_name or PALIGEMMA_TOKENIZER,
        max_length=config.tokenizer_max_length,
        padding_side="right",
        padding="max_length",
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
    features = {**config.input_features, **config.output_features}
    norm_map = normalization_mapping(config)
    stats = {k: v for k, v in (dataset_stats or {}).items() if k in features}
    relative = RelativeActionsStep(
        enabled=config.use_relative_actions,
        exclude_joints=config.relative_exclude_joints,
        action_names=config.action_feature_names,
    )
    pre = PolicyProcessorPipeline(
        [
            RenameObservationsStep(rename_map),
            AddBatchDimensionStep(),
            Pi0NewLineStep(),
            paligemma_tokenizer_step(config, tokenizer_name),
            DeviceStep(device or config.device or "cpu"),
            relative,
            NormalizerStep(features, norm_map, stats),
        ],
        name=PREPROCESSOR_NAME,
    )
    post = PolicyProcessorPipeline(
        [
            UnnormalizerStep(dict(config.output_features), norm_map, stats),
            AbsoluteActionsStep(enabled=config.use_relative_actions, relative_step=relative),
            DeviceStep("cpu"),
        ],
        name=POSTPROCESSOR_NAME,
    )
    return pre, post
