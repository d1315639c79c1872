"""The default pre/post-processors of a policy, built from its config or loaded from a folder.

:func:`make_pre_post_processors` has LeRobot 0.6.1's signature; fresh pipelines are LeRobot's
``make_default_pre_post_processors`` (the order is part of the file format)::

    policy_preprocessor  = [rename_observations_processor, to_batch_processor,
                            device_processor, normalizer_processor]
    policy_postprocessor = [unnormalizer_processor, device_processor("cpu")]
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lr_core.features import FeatureType
from lr_core.policy import PolicyConfig
from lr_policies.policy_config import NormalizationMode
from lr_policies.processors.normalize import NormalizerStep, Stats, UnnormalizerStep
from lr_policies.processors.pipeline import PolicyProcessorPipeline, ProcessorStep
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


def normalizer_steps(
    config: PolicyConfig, dataset_stats: Stats | None
) -> tuple[NormalizerStep, UnnormalizerStep]:
    """LeRobot's ``normalizer_processor`` (the config's input and output features) and
    ``unnormalizer_processor`` (its output features), with the config's normalisation modes and
    the statistics of those features only (other keys of ``dataset_stats`` are dropped)."""
    features = {**config.input_features, **config.output_features}
    norm_map = normalization_mapping(config)
    stats = {k: v for k, v in (dataset_stats or {}).items() if k in features}
    return (
        NormalizerStep(features, norm_map, stats),
        UnnormalizerStep(dict(config.output_features), norm_map, stats),
    )


def preprocessor(
    rename_map: Mapping[str, str] | None, steps: list[ProcessorStep]
) -> PolicyProcessorPipeline:
    """A fresh ``policy_preprocessor``: renaming and the batch dimension first (every policy's
    start in LeRobot 0.6.1), then ``steps``."""
    return PolicyProcessorPipeline(
        [RenameObservationsStep(rename_map), AddBatchDimensionStep(), *steps],
        name=PREPROCESSOR_NAME,
    )


def postprocessor(steps: list[ProcessorStep]) -> PolicyProcessorPipeline:
    """A fresh ``policy_postprocessor``: ``steps``, then the actions moved to the CPU."""
    return PolicyProcessorPipeline([*steps, DeviceStep("cpu")], name=POSTPROCESSOR_NAME)


def make_pre_post_processors(
    policy_cfg: PolicyConfig,
    pretrained_path: str | Path | None = None,
    pretrained_revision: str | None = None,
    *,
    preprocessor_config_filename: str | None = None,
    postprocessor_config_filename: str | None = None,
    preprocessor_overrides: Mapping[str, Mapping[str, Any]] | None = None,
    postprocessor_overrides: Mapping[str, Mapping[str, Any]] | None = None,
    dataset_stats: Stats | None = None,
    dataset_meta: Any = None,
    rename_map: Mapping[str, str] | None = None,
    device: str | None = None,
) -> Processors:
    """LeRobot 0.6.1's ``make_pre_post_processors``, same signature and behaviour.

    With ``pretrained_path`` (a folder or a Hub model id at ``pretrained_revision``) the saved
    pipelines are loaded (``<preprocessor_config_filename>``, default
    ``policy_preprocessor.json``, and the postprocessor's), each step's saved config replaced by
    ``*_overrides`` (registry name -> constructor arguments, e.g. ``{"device_processor":
    {"device": "cuda"}}``); as in LeRobot, ``dataset_stats`` is then not used (override the
    ``normalizer_processor``'s ``stats`` instead).

    Without it, fresh processors for ``policy_cfg`` normalise with ``dataset_stats``
    (``{feature: {"mean": ..., "std": ..., "min": ..., "max": ...}}``; only the config's
    features are kept) on ``policy_cfg.device``. lr's additions: ``rename_map`` (dataset key ->
    policy key) and ``device`` (else ``policy_cfg.device``, else CPU). ``dataset_meta`` is
    accepted for LeRobot callers and not needed by lr's policies.

    :func:`load_pre_post_processors` is the shorter form for loading.
    """
    if isinstance(pretrained_path, Mapping):
        raise TypeError(
            "make_pre_post_processors' second argument is pretrained_path (LeRobot's "
            "signature); pass the statistics as dataset_stats=..."
        )
    del dataset_meta
    if pretrained_path is not None:
        if dataset_stats is not None:
            warnings.warn(
                "make_pre_post_processors: dataset_stats is not used when pretrained_path is "
                "given (as in LeRobot); override the saved stats with preprocessor_overrides="
                "{'normalizer_processor': {'stats': ...}} (and the unnormalizer_processor's)",
                stacklevel=2,
            )
        pre_over = {k: dict(v) for k, v in (preprocessor_overrides or {}).items()}
        if device is not None:
            pre_over.setdefault("device_processor", {})["device"] = device
        if rename_map is not None:
            pre_over.setdefault("rename_observations_processor", {})["rename_map"] = dict(
                rename_map
            )
        return _saved_processors(
            _local_folder(pretrained_path, pretrained_revision),
            preprocessor_config_filename or f"{PREPROCESSOR_NAME}.json",
            postprocessor_config_filename or f"{POSTPROCESSOR_NAME}.json",
            pre_over,
            {k: dict(v) for k, v in (postprocessor_overrides or {}).items()},
        )
    return _fresh_processors(policy_cfg, dataset_stats, rename_map=rename_map, device=device)


def _fresh_processors(
    config: PolicyConfig,
    dataset_stats: Stats | None,
    *,
    rename_map: Mapping[str, str] | None,
    device: str | None,
) -> Processors:
    """LeRobot's ``make_default_pre_post_processors`` (the step order is the file format).

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
    normalizer, unnormalizer = normalizer_steps(config, dataset_stats)
    pre = preprocessor(rename_map, [DeviceStep(device or config.device or "cpu"), normalizer])
    return pre, postprocessor([unnormalizer])


def _local_folder(path: str | Path, revision: str | None) -> Path:
    """A local folder holding saved processors: ``path`` itself, or a Hub snapshot."""
    from lr_policies.pretrained import resolve_pretrained

    return resolve_pretrained(path, revision=revision)


def load_pre_post_processors(
    directory: str | Path,
    *,
    device: str | None = None,
    rename_map: Mapping[str, str] | None = None,
    dataset_stats: Stats | None = None,
    revision: str | None = None,
) -> Processors:
    """Processors saved next to a policy (by lr or LeRobot; a folder or a Hub model id at
    ``revision``): the short form of
    ``make_pre_post_processors(cfg, pretrained_path=directory, ...)``. ``device`` overrides the
    pre-processor's device, ``rename_map`` its renaming, ``dataset_stats`` the saved stats (of
    both the normaliser and the unnormaliser)."""
    pre_over: dict[str, dict[str, Any]] = {}
    post_over: dict[str, dict[str, Any]] = {}
    if device is not None:
        pre_over["device_processor"] = {"device": device}
    if rename_map is not None:
        pre_over["rename_observations_processor"] = {"rename_map": dict(rename_map)}
    if dataset_stats is not None:
        pre_over["normalizer_processor"] = {"stats": dataset_stats}
        post_over["unnormalizer_processor"] = {"stats": dataset_stats}
    return _saved_processors(
        _local_folder(directory, revision),
        f"{PREPROCESSOR_NAME}.json",
        f"{POSTPROCESSOR_NAME}.json",
        pre_over,
        post_over,
    )


def _saved_processors(
    folder: Path,
    pre_file: str,
    post_file: str,
    pre_over: Mapping[str, Mapping[str, Any]],
    post_over: Mapping[str, Mapping[str, Any]],
) -> Processors:
    """Both saved pipelines of ``folder``, each step's config updated by the overrides; a
    relative-actions step is paired again with its inverse (they share the current state)."""
    pre = PolicyProcessorPipeline.from_pretrained(folder, pre_file, overrides=pre_over)
    post = PolicyProcessorPipeline.from_pretrained(folder, post_file, overrides=post_over)
    if any(s.registry_name == "absolute_actions_processor" for s in post.steps):
        from lr_policies.processors.relative_actions import pair_relative_steps

        pair_relative_steps(pre, post)
    return pre, post


def save_pre_post_processors(processors: Processors, directory: str | Path) -> None:
    """Write both pipelines next to a policy's ``config.json``."""
    for pipeline in processors:
        pipeline.save_pretrained(directory)
