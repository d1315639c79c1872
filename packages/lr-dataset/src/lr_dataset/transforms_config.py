"""Image augmentation settings: LeRobot 0.6.1's ``ImageTransformsConfig`` and the checks of its
ranges (torch-free). :mod:`lr_dataset.transforms` is the public face (LeRobot's import path);
:mod:`lr_dataset.torch_transforms` applies these settings to frames.

Each frame gets ``min(max_num_transforms, enabled transforms)`` of the configured transforms,
drawn without replacement with probabilities proportional to ``weight`` and applied in the
configured order (``random_order``: shuffled). Each transform draws its strength uniformly from
its range. Defaults are LeRobot's: brightness and contrast 0.8–1.2, saturation 0.5–1.5, hue
±0.05, sharpness 0.5–1.5, affine ±5° and ±5% translation; 3 of them per frame.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from pydantic import Field, PositiveInt, model_validator

from lr_core.config import LrConfig

#: Transform types lr implements, with the keyword arguments each accepts (torchvision's).
TRANSFORM_KWARGS: dict[str, frozenset[str]] = {
    "Identity": frozenset(),
    "ColorJitter": frozenset({"brightness", "contrast", "saturation", "hue"}),
    "SharpnessJitter": frozenset({"sharpness"}),
    "RandomAffine": frozenset({"degrees", "translate", "scale", "shear"}),
}


def factor_range(
    value: float | Sequence[float] | None,
    name: str,
    *,
    center: float = 1.0,
    bound: tuple[float, float] = (0.0, math.inf),
    clip_first_on_zero: bool = True,
) -> tuple[float, float] | None:
    """A ``(min, max)`` range as torchvision's ``ColorJitter._check_input`` reads it: a
    number ``x`` means ``center ± x``; ``None`` when the range is the identity."""
    if value is None:
        return None
    if isinstance(value, (int, float)):
        if value < 0:
            raise ValueError(f"{name}: a single number must be non-negative, got {value}")
        pair = [center - value, center + value]
        if clip_first_on_zero:
            pair[0] = max(pair[0], 0.0)
    elif isinstance(value, Sequence) and len(value) == 2:
        pair = [float(v) for v in value]
    else:
        raise ValueError(f"{name}={value!r} must be a number or a [min, max] pair")
    if not bound[0] <= pair[0] <= pair[1] <= bound[1]:
        raise ValueError(f"{name} must be increasing within {bound}, got {pair}")
    return None if pair[0] == pair[1] == center else (pair[0], pair[1])


def angle_range(
    value: float | Sequence[float], name: str, sizes: tuple[int, ...]
) -> tuple[float, ...]:
    """Degrees as torchvision's ``_setup_angle``: a number ``x`` means ``(-x, x)``."""
    if isinstance(value, (int, float)):
        if value < 0:
            raise ValueError(f"{name}: a single number must be non-negative, got {value}")
        return (-float(value), float(value))
    if len(value) not in sizes:
        raise ValueError(f"{name} must be a number or {' or '.join(map(str, sizes))} numbers")
    return tuple(float(v) for v in value)


def check_kwargs(kind: str, kwargs: dict[str, Any]) -> None:
    """Raise ``ValueError`` naming the argument when ``kwargs`` do not fit transform ``kind``."""
    if kind == "ColorJitter":
        for name in ("brightness", "contrast", "saturation"):
            factor_range(kwargs.get(name), name)
        factor_range(
            kwargs.get("hue"), "hue", center=0.0, bound=(-0.5, 0.5), clip_first_on_zero=False
        )
    elif kind == "SharpnessJitter":
        if "sharpness" not in kwargs:
            raise ValueError("SharpnessJitter needs sharpness")
        factor_range(kwargs["sharpness"], "sharpness")
    elif kind == "RandomAffine":
        if "degrees" not in kwargs:
            raise ValueError("RandomAffine needs degrees")
        angle_range(kwargs["degrees"], "degrees", (2,))
        translate, scale = kwargs.get("translate"), kwargs.get("scale")
        if translate is not None and (
            len(translate) != 2 or not all(0.0 <= t <= 1.0 for t in translate)
        ):
            raise ValueError(f"translate must be two fractions in [0, 1], got {translate}")
        if scale is not None and (len(scale) != 2 or not all(s > 0 for s in scale)):
            raise ValueError(f"scale must be two positive numbers, got {scale}")
        if kwargs.get("shear") is not None:
            angle_range(kwargs["shear"], "shear", (2, 4))


class ImageTransformConfig(LrConfig):
    """One transform: its sampling ``weight`` (≤ 0 disables it), its ``type`` and the ranges
    its strength is drawn from (``kwargs``, torchvision's names)."""

    weight: float = 1.0
    """Relative probability of being picked for a frame (≤ 0: never)."""
    type: str = "Identity"
    """ColorJitter, SharpnessJitter, RandomAffine or Identity."""
    kwargs: dict[str, Any] = {}
    """The transform's ranges, e.g. ``{"brightness": [0.8, 1.2]}``."""

    @model_validator(mode="after")
    def _check(self) -> ImageTransformConfig:
        allowed = TRANSFORM_KWARGS.get(self.type)
        if allowed is None:
            raise ValueError(
                f"transform type {self.type!r} is not one lr implements; use one of "
                f"{', '.join(TRANSFORM_KWARGS)}"
            )
        unknown = sorted(set(self.kwargs) - allowed)
        if unknown:
            raise ValueError(
                f"{self.type} takes {sorted(allowed) or 'no arguments'}, not {unknown}"
            )
        check_kwargs(self.type, self.kwargs)
        return self


def _default_transforms() -> dict[str, ImageTransformConfig]:
    def jitter(kind: str, **kwargs: Any) -> ImageTransformConfig:
        return ImageTransformConfig(weight=1.0, type=kind, kwargs=kwargs)

    return {
        "brightness": jitter("ColorJitter", brightness=(0.8, 1.2)),
        "contrast": jitter("ColorJitter", contrast=(0.8, 1.2)),
        "saturation": jitter("ColorJitter", saturation=(0.5, 1.5)),
        "hue": jitter("ColorJitter", hue=(-0.05, 0.05)),
        "sharpness": jitter("SharpnessJitter", sharpness=(0.5, 1.5)),
        "affine": jitter("RandomAffine", degrees=(-5.0, 5.0), translate=(0.05, 0.05)),
    }


class ImageTransformsConfig(LrConfig):
    """Random image augmentation while training (LeRobot's names and defaults)."""

    enable: bool = False
    """Apply the transforms (off by default, as in LeRobot)."""
    max_num_transforms: PositiveInt = 3
    """How many of the transforms each frame gets (at most the number enabled)."""
    random_order: bool = False
    """Apply the picked transforms in a random order instead of the configured one."""
    tfs: dict[str, ImageTransformConfig] = Field(default_factory=_default_transforms)
    """The transforms by name (brightness, contrast, saturation, hue, sharpness, affine)."""
