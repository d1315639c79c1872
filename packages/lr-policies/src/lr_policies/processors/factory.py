"""The default pre/post-processors of a policy, built from its config or loaded from a folder.

As LeRobot's ``make_default_pre_post_processors`` (the order is part of the file format)::

    policy_preprocessor  = [rename_observations_processor, to_batch_processor,
                            device_processor, normalizer_processor]
    policy_postprocessor = [unnormalizer_processor, device_processor("cpu")]
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lr_core.features import FeatureType
from lr_core.policy import PolicyConfig
from lr_policies.policy_config import NormalizationMode
from lr_policies.processors.normalize import NormalizerStep, Stats, UnnormalizerStep
from lr_policies.processors.pipeline import PolicyProcessorPipeline
from lr_policies.processors.steps import AddBatchDimensionStep, DeviceStep, RenameObservationsStep

PREPROCESSOR_NAME = "policy_preprocessor"
POSTPROCESSOR_NAME = "policy_postprocessor"

#: Used when a policy config has no ``normalization_mapping``.
DEFAULT_NORMALIZATION_MAPPING: dict[str, NormalizationMode] = {
    "VISUAL": NormalizationMode.MEAN_STD,
    "STATE": NormalizationMode.MEAN_STD,
    "ACTION": NormalizationMode.MEAN_STD,
}

Processors = tuple[PolicyProcessorPipeline, PolicyProcessorPipeline]


def normalization_mapping(config: PolicyConfig) -> dict[FeatureType, NormalizationMode]:
    """The config's ``normalization_mapping`` (feature type name -> mode), or the default."""
    mapping = getattr(config, "normalization_mapping", None) or DEFAULT_NORMALIZATION_MAPPING
    return {FeatureType(str(k)): NormalizationMode(str(v)) for k, v in dict(mapping).items()}


def make_pre_post_processors(
    config: PolicyConfig,
    dataset_stats: Stats | None = None,
    *,
    rename_map: Mapping[str, str] | None = None,
    device: str | None = None,
) -> Processors:
    """Fresh processors for ``config`` with the dataset's statistics
    (``{feature: {"mean": ..., "std": ..., "min": ..., "max": ...}}``; only the config's
    features are kept).

    A config class that names a ``processor_factory`` (``"module:function"``, e.g. the VLAs',
    which add task tokenisation) gets its pipelines from that function, called with the same
    arguments.
    """
    factory = getattr(type(config), "processor_factory", None)
    if factory:
        from lr_core import registry

        return registry.load_object(factory)(
            config, dataset_stats, rename_map=rename_map, device=device
        )
    features = {**config.input_features, **config.output_features}
    norm_map = normalization_mapping(config)
    stats = {k: v for k, v in (dataset_stats or {}).items() if k in features}
    target = device or config.device or "cpu"
    pre = PolicyProcessorPipeline(
        [
            RenameObservationsStep(rename_map),
            AddBatchDimensionStep(),
            DeviceStep(target),
            NormalizerStep(features, norm_map, stats),
        ],
        name=PREPROCESSOR_NAME,
    )
    post = PolicyProcessorPipeline(
        [UnnormalizerStep(dict(config.output_features), norm_map, stats), DeviceStep("cpu")],
        name=POSTPROCESSOR_NAME,
    )
    return pre, post


def load_pre_post_processors(
    directory: str | Path,
    *,
    device: str | None = None,
    rename_map: Mapping[str, str] | None = None,
    dataset_stats: Stats | None = None,
) -> Processors:
    """Processors saved next to a policy (by lr or LeRobot). ``device`` overrides the
    pre-processor's device, ``rename_map`` its renaming, ``dataset_stats`` the saved stats."""
    pre_over: dict[str, dict[str, Any]] = {}
    post_over: dict[str, dict[str, Any]] = {}
    if device is not None:
        pre_over["device_processor"] = {"device": device}
    if rename_map is not None:
        pre_over["rename_observations_processor"] = {"rename_map": dict(rename_map)}
    if dataset_stats is not None:
        pre_over["normalizer_processor"] = {"stats": dataset_stats}
        post_over["unnormalizer_processor"] = {"stats": dataset_stats}
    pre = PolicyProcessorPipeline.from_pretrained(
        directory, f"{PREPROCESSOR_NAME}.json", overrides=pre_over
    )
    post = PolicyProcessorPipeline.from_pretrained(
        directory, f"{POSTPROCESSOR_NAME}.json", overrides=post_over
    )
    if any(s.registry_name == "absolute_actions_processor" for s in post.steps):
        from lr_policies.processors.relative_actions import pair_relative_steps

        pair_relative_steps(pre, post)
    return pre, post


def save_pre_post_processors(processors: Processors, directory: str | Path) -> None:
    """Write both pipelines next to a policy's ``config.json``."""
    for pipeline in processors:
        pipeline.save_pretrained(directory)
