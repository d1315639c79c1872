"""SmolVLA's pre/post-processors, in LeRobot 0.6.1's order (``make_smolvla_pre_post_processors``)::

    policy_preprocessor  = [rename_observations_processor, to_batch_processor,
                            smolvla_new_line_processor, tokenizer_processor,
                            device_processor, normalizer_processor]
    policy_postprocessor = [unnormalizer_processor, device_processor("cpu")]

The tokenizer is the VLM's (``vlm_model_name``), padded to the longest task of the batch
(``pad_language_to``), at most ``tokenizer_max_length`` tokens. Images are resized and padded,
and state/action padded to ``max_state_dim``/``max_action_dim``, inside the model (as LeRobot).
"""

from __future__ import annotations

from collections.abc import Mapping

from lr_policies.processors.factory import (
    POSTPROCESSOR_NAME,
    PREPROCESSOR_NAME,
    normalization_mapping,
)
from lr_policies.processors.language import NewLineTaskStep, TokenizerStep
from lr_policies.processors.normalize import NormalizerStep, Stats, UnnormalizerStep
from lr_policies.processors.pipeline import PolicyProcessorPipeline
from lr_policies.processors.steps import AddBatchDimensionStep, DeviceStep, RenameObservationsStep
from lr_policies.smolvla.config import SmolVLAConfig
from lr_policies.smolvla.vlm_config import tokenizer_source


def make_smolvla_pre_post_processors(
    config: SmolVLAConfig,
    dataset_stats: Stats | None = None,
    *,
    rename_map: Mapping[str, str] | None = None,
    device: str | None = None,
) -> tuple[PolicyProcessorPipeline, PolicyProcessorPipeline]:
    """Fresh SmolVLA processors with the dataset's statistics (only the config's features)."""
    features = {**config.input_features, **config.output_features}
    norm_map = normalization_mapping(config)
    stats = {k: v for k, v in (dataset_stats or {}).items() if k in features}
    pre = PolicyProcessorPipeline(
        [
            RenameObservationsStep(rename_map),
            AddBatchDimensionStep(),
            NewLineTaskStep(),
            TokenizerStep(
                tokenizer_name=tokenizer_source(config.vlm_model_name),
                padding=config.pad_language_to,
                padding_side="right",
                max_length=config.tokenizer_max_length,
            ),
            DeviceStep(device or config.device or "cpu"),
            NormalizerStep(features, norm_map, stats),
        ],
        name=PREPROCESSOR_NAME,
    )
    post = PolicyProcessorPipeline(
        [UnnormalizerStep(dict(config.output_features), norm_map, stats), DeviceStep("cpu")],
        name=POSTPROCESSOR_NAME,
    )
    return pre, post
