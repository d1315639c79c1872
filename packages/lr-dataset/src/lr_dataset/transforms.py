"""Image augmentation, at LeRobot 0.6.1's import path (``lerobot.datasets.transforms``).

``ImageTransformsConfig`` (torch-free, :mod:`lr_dataset.transforms_config`) holds the settings;
``ImageTransforms(config)`` (:mod:`lr_dataset.torch_transforms`, imported with torch on first
use) applies them to camera frames as a dataset's ``image_transforms``::

    from lr_dataset import LeRobotDataset
    from lr_dataset.transforms import ImageTransforms, ImageTransformsConfig

    cfg = ImageTransformsConfig(enable=True, max_num_transforms=2)
    dataset = LeRobotDataset("user/name", image_transforms=ImageTransforms(cfg))
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lr_dataset.transforms_config import (
    TRANSFORM_KWARGS,
    ImageTransformConfig,
    ImageTransformsConfig,
    angle_range,
    check_kwargs,
    factor_range,
)

__all__ = [
    "TRANSFORM_KWARGS",
    "ImageTransformConfig",
    "ImageTransforms",
    "ImageTransformsConfig",
    "angle_range",
    "check_kwargs",
    "factor_range",
]

if TYPE_CHECKING:  # pragma: no cover
    from lr_dataset.torch_transforms import ImageTransforms


def __getattr__(name: str) -> Any:
    # ``from lr_dataset.transforms import ImageTransforms`` as in LeRobot: torch is imported only
    # then (this module stays torch-free).
    if name == "ImageTransforms":
        from lr_dataset.torch_transforms import ImageTransforms

        return ImageTransforms
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
