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

from lr_policies.processors.factory import normalizer_steps, postprocessor, preprocessor
from lr_policies.processors.language import NewLineTaskStep, TokenizerStep
from lr_policies.processors.normalize import Stats
from lr_policies.processors.pipeline import PolicyProcessorPipeline
from lr_policies.processors.steps import DeviceStep
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
    normalizer, unnormalizer = normalizer_steps(config, dataset_stats)
    pre = preprocessor(
        rename_map,
        [
            NewLineTaskStep(),
            TokenizerStep(
                tokenizer_name=tokenizer_source(config.vlm_model_name),
                padding=config.pad_language_to,
                padding_side="right",
                max_length=config.tokenizer_max_length,
            ),
            DeviceStep(device or config.device or "cpu"),
            normalizer,
        ],
    )
    return pre, postprocessor([unnormalizer])
