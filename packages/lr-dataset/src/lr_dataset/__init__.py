"""lr-dataset: LeRobotDataset v3.0 reading and writing, video, tools.

``from lr_dataset import LeRobotDataset`` gives the torch flavour (a
``torch.utils.data.Dataset`` returning tensors) when torch is installed, else the numpy one;
set ``LR_DATASET_BACKEND=numpy`` to force numpy. ``StreamingLeRobotDataset`` and
``StreamingMixture`` (:mod:`lr_dataset.streaming`) resolve the same way. Names resolve lazily,
so importing the package loads neither pyarrow, PyAV nor torch.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
from typing import TYPE_CHECKING, Any

from lr_core.lazy import lazy_exports

_EXPORTS: dict[str, str] = {
    "LeRobotDatasetMetadata": "lr_dataset.metadata",
    "DatasetInfo": "lr_dataset.info",
    "VideoEncoderConfig": "lr_dataset.video.encode",
    "DatasetFetchError": "lr_dataset.errors",
    "DatasetFormatError": "lr_dataset.errors",
    "DatasetWriteError": "lr_dataset.errors",
    "FeatureSpecError": "lr_dataset.errors",
    "FrameTimestampError": "lr_dataset.errors",
    "FrameValidationError": "lr_dataset.errors",
    "VideoEncoderError": "lr_dataset.errors",
    "repair": "lr_dataset.recovery",
    "scan_frames": "lr_dataset.frames",
    "scan_episodes": "lr_dataset.frames",
    "DataLoader": "lr_dataset.torch_loader",
}


def torch_available() -> bool:
    """True when torch is importable and ``LR_DATASET_BACKEND`` is not ``numpy``."""
    if os.environ.get("LR_DATASET_BACKEND", "").lower() == "numpy":
        return False
    return importlib.util.find_spec("torch") is not None


def _dataset_class() -> Any:
    module = "lr_dataset.torch_dataset" if torch_available() else "lr_dataset.dataset"
    return importlib.import_module(module).LeRobotDataset


def _streaming_class(name: str, numpy_module: str) -> Any:
    def resolve() -> Any:
        module = "lr_dataset.streaming.torch_dataset" if torch_available() else numpy_module
        return getattr(importlib.import_module(module), name)

    return resolve


__all__, __getattr__, __dir__ = lazy_exports(
    __name__,
    _EXPORTS,
    distribution="lr-dataset",
    resolvers={
        "LeRobotDataset": _dataset_class,
        "StreamingLeRobotDataset": _streaming_class(
            "StreamingLeRobotDataset", "lr_dataset.streaming.dataset"
        ),
        "StreamingMixture": _streaming_class("StreamingMixture", "lr_dataset.streaming.mixture"),
    },
)

if TYPE_CHECKING:  # pragma: no cover
    from lr_dataset.dataset import LeRobotDataset
    from lr_dataset.errors import (
        DatasetFetchError,
        DatasetFormatError,
        DatasetWriteError,
        FeatureSpecError,
        FrameTimestampError,
        FrameValidationError,
        VideoEncoderError,
    )
    from lr_dataset.frames import scan_episodes, scan_frames
    from lr_dataset.info import DatasetInfo
    from lr_dataset.metadata import LeRobotDatasetMetadata
    from lr_dataset.recovery import repair
    from lr_dataset.streaming.dataset import StreamingLeRobotDataset
    from lr_dataset.streaming.mixture import StreamingMixture
    from lr_dataset.torch_loader import DataLoader
    from lr_dataset.video.encode import VideoEncoderConfig
