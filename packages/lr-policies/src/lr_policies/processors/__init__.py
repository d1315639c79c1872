"""Pre/post-processors: normalisation, renaming, batching and device placement, saved with the
policy in LeRobot's file layout. Names resolve lazily (torch is imported on first use)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lr_core.lazy import lazy_exports

_EXPORTS: dict[str, str] = {
    "NormalizationMode": "lr_policies.policy_config",
    "PolicyProcessorPipeline": "lr_policies.processors.pipeline",
    "ProcessorStep": "lr_policies.processors.pipeline",
    "register_step": "lr_policies.processors.pipeline",
    "NormalizerStep": "lr_policies.processors.normalize",
    "UnnormalizerStep": "lr_policies.processors.normalize",
    "RenameObservationsStep": "lr_policies.processors.steps",
    "AddBatchDimensionStep": "lr_policies.processors.steps",
    "DeviceStep": "lr_policies.processors.steps",
    "make_pre_post_processors": "lr_policies.processors.factory",
    "load_pre_post_processors": "lr_policies.processors.factory",
    "save_pre_post_processors": "lr_policies.processors.factory",
    "PREPROCESSOR_NAME": "lr_policies.processors.factory",
    "POSTPROCESSOR_NAME": "lr_policies.processors.factory",
}

__all__, __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from lr_policies.policy_config import NormalizationMode
    from lr_policies.processors.factory import (
        POSTPROCESSOR_NAME,
        PREPROCESSOR_NAME,
        load_pre_post_processors,
        make_pre_post_processors,
        save_pre_post_processors,
    )
    from lr_policies.processors.normalize import NormalizerStep, UnnormalizerStep
    from lr_policies.processors.pipeline import (
        PolicyProcessorPipeline,
        ProcessorStep,
        register_step,
    )
    from lr_policies.processors.steps import (
        AddBatchDimensionStep,
        DeviceStep,
        RenameObservationsStep,
    )
