"""Image augmentation: LeRobot 0.6.1's ``ImageTransforms`` in plain torch (no torchvision).

The arithmetic of each transform is torchvision's (``transforms.v2.functional``) on float
images, and the random draws come from torch's global generator in the same order as LeRobot's
``RandomSubsetApply`` and torchvision's ``make_params``, so on the same seed the output equals
LeRobot's (checked against the peer in ``tests/test_torch_transforms.py``).

Frames are ``(..., 3, H, W)`` tensors: float32 in [0, 1], or uint8 in [0, 255] (converted to
float, transformed, rounded back to uint8). The uint8 form is what
:class:`lr_dataset.DataLoader`'s workers hold, so augmentation runs in the workers and frames
still cross to the training process as uint8 (ADR 0007); ``keeps_uint8`` says so.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

from lr_dataset.transforms_config import (
    ImageTransformConfig,
    ImageTransformsConfig,
    angle_range,
    check_kwargs,
    factor_range,
)

Frame = Tensor
_GRAY = (0.2989, 0.587, 0.114)


# --------------------------------------------------------------------------- kernels (float)


def _blend(image1: Tensor, image2: Tensor, ratio: float) -> Tensor:
    return image1.mul(ratio).add_(image2, alpha=1.0 - ratio).clamp_(0.0, 1.0)


def _grayscale(image: Tensor) -> Tensor:
    r, g, b = image.unbind(dim=-3)
    return r.mul(_GRAY[0]).add_(g, alpha=_GRAY[1]).add_(b, alpha=_GRAY[2]).unsqueeze(-3)


def adjust_brightness(image: Tensor, factor: float) -> Tensor:
    """``image · factor``, clamped to [0, 1]."""
    return image.mul(factor).clamp_(0.0, 1.0)


def adjust_contrast(image: Tensor, factor: float) -> Tensor:
    """Blend with the mean grey level (ITU-R 601 luma) by ``factor``."""
    mean = _grayscale(image).mean(dim=(-3, -2, -1), keepdim=True)
    return _blend(image, mean, factor)


def adjust_saturation(image: Tensor, factor: float) -> Tensor:
    """Blend with the greyscale image by ``factor`` (0: grey, 1: unchanged)."""
    return _blend(image, _grayscale(image), factor)


def adjust_sharpness(image: Tensor, factor: float) -> Tensor:
    """Blend with a 3×3-smoothed copy (kernel 1/13 around, 5/13 centre; edge pixels kept):
    0 blurs, 1 is unchanged, 2 sharpens. The smoothing is written as two 3-tap box sums plus
    4× the centre (torchvision's kernel, a fraction of the work of a 3×3 convolution)."""
    height, width = image.shape[-2:]
    if height <= 2 or width <= 2:
        return image
    rows = image[..., :-2, :] + image[..., 1:-1, :] + image[..., 2:, :]
    box = rows[..., :, :-2] + rows[..., :, 1:-1] + rows[..., :, 2:]
    output = image.clone()
    view = output[..., 1:-1, 1:-1]
    blurred = box.add_(view, alpha=4.0).div_(13.0)
    view.add_(blurred.sub_(view), alpha=1.0 - factor)
    return output.clamp_(0.0, 1.0)


def adjust_hue(image: Tensor, factor: float) -> Tensor:
    """Rotate the hue by ``factor`` turns (in [-0.5, 0.5]): torchvision's RGB → HSV → RGB
    round trip, fused. With ``v = max``, ``v·s = max − min`` and ``h`` in sixths of a turn,
    channel ``n`` (5: red, 3: green, 1: blue) is ``v − v·s·clamp(min(k, 4 − k), 0, 1)`` with
    ``k = (h + n) mod 6``."""
    r, g, b = image.unbind(dim=-3)
    maxc = torch.maximum(torch.maximum(r, g), b)
    delta = maxc - torch.minimum(torch.minimum(r, g), b)
    inverse = torch.where(delta > 0, delta.reciprocal(), torch.zeros_like(delta))
    h6 = torch.where(
        maxc == r,
        (g - b) * inverse,
        torch.where(maxc == g, (b - r) * inverse + 2.0, (r - g) * inverse + 4.0),
    )
    h6.add_(6.0 * factor)
    channels = []
    for n in (5.0, 3.0, 1.0):
        k = torch.remainder(h6 + n, 6.0)
        k = torch.minimum(k, 4.0 - k).clamp_(0.0, 1.0)
        channels.append(maxc - delta * k)
    return torch.stack(channels, dim=-3)


def affine(
    image: Tensor,
    angle: float,
    translate: tuple[int, int],
    scale: float,
    shear: tuple[float, float],
) -> Tensor:
    """Rotate (degrees, counter-clockwise), scale, shear (degrees) about the centre, then
    translate (pixels); nearest-neighbour sampling, zeros outside the image."""
    height, width = image.shape[-2:]
    matrix = _inverse_affine_matrix(angle, translate, scale, shear)
    theta = torch.tensor(matrix, dtype=image.dtype, device=image.device).reshape(1, 2, 3)
    base = torch.empty(1, height, width, 3, dtype=image.dtype, device=image.device)
    base[..., 0].copy_(torch.linspace((1.0 - width) * 0.5, (width - 1.0) * 0.5, width))
    base[..., 1].copy_(torch.linspace((1.0 - height) * 0.5, (height - 1.0) * 0.5, height)[:, None])
    base[..., 2].fill_(1)
    rescaled = theta.transpose(1, 2) / torch.tensor([0.5 * width, 0.5 * height], dtype=image.dtype)
    grid = base.view(1, height * width, 3).bmm(rescaled).view(1, height, width, 2)
    shape = image.shape
    flat = image.reshape(-1, *shape[-3:])
    out = F.grid_sample(
        flat, grid.expand(flat.shape[0], -1, -1, -1), mode="nearest", align_corners=False
    )
    return out.reshape(shape)


def _inverse_affine_matrix(
    angle: float, translate: tuple[int, int], scale: float, shear: tuple[float, float]
) -> list[float]:
    # torchvision's _get_inverse_affine_matrix with the centre at (0, 0) in centred pixels.
    rot = math.radians(angle)
    sx, sy = math.radians(shear[0]), math.radians(shear[1])
    tx, ty = translate
    a = math.cos(rot - sy) / math.cos(sy)
    b = -(a * math.tan(sx) + math.sin(rot))
    c = math.sin(rot - sy) / math.cos(sy)
    d = math.cos(rot) - c * math.tan(sx)
    matrix = [d / scale, -b / scale, 0.0, -c / scale, a / scale, 0.0]
    matrix[2] += -matrix[0] * tx - matrix[1] * ty
    matrix[5] += -matrix[3] * tx - matrix[4] * ty
    return matrix


# --------------------------------------------------------------------------- random transforms


def _uniform(low: float, high: float) -> float:
    return torch.empty(1).uniform_(low, high).item()


class ColorJitter:
    """torchvision's ``ColorJitter``: brightness, contrast, saturation and hue factors drawn
    uniformly from their ranges, applied in a random order."""

    def __init__(
        self,
        brightness: float | Sequence[float] | None = None,
        contrast: float | Sequence[float] | None = None,
        saturation: float | Sequence[float] | None = None,
        hue: float | Sequence[float] | None = None,
    ) -> None:
        self.brightness = factor_range(brightness, "brightness")
        self.contrast = factor_range(contrast, "contrast")
        self.saturation = factor_range(saturation, "saturation")
        self.hue = factor_range(hue, "hue", center=0.0, bound=(-0.5, 0.5), clip_first_on_zero=False)

    def __call__(self, image: Tensor) -> Tensor:
        order = torch.randperm(4)
        factors = [
            None if r is None else _uniform(*r)
            for r in (self.brightness, self.contrast, self.saturation, self.hue)
        ]
        kernels = (adjust_brightness, adjust_contrast, adjust_saturation, adjust_hue)
        for index in order.tolist():
            if factors[index] is not None:
                image = kernels[index](image, factors[index])
        return image


class SharpnessJitter:
    """LeRobot's ``SharpnessJitter``: a sharpness factor drawn uniformly from its range."""

    def __init__(self, sharpness: float | Sequence[float]) -> None:
        pair = factor_range(sharpness, "sharpness")
        self.sharpness = pair if pair is not None else (1.0, 1.0)

    def __call__(self, image: Tensor) -> Tensor:
        return adjust_sharpness(image, _uniform(*self.sharpness))


class RandomAffine:
    """torchvision's ``RandomAffine`` (nearest-neighbour, zero fill, about the centre)."""

    def __init__(
        self,
        degrees: float | Sequence[float],
        translate: Sequence[float] | None = None,
        scale: Sequence[float] | None = None,
        shear: float | Sequence[float] | None = None,
    ) -> None:
        check_kwargs("RandomAffine", {"degrees": degrees, "translate": translate, "scale": scale})
        self.degrees = angle_range(degrees, "degrees", (2,))
        self.translate = None if translate is None else tuple(float(t) for t in translate)
        self.scale = None if scale is None else tuple(float(s) for s in scale)
        self.shear = None if shear is None else angle_range(shear, "shear", (2, 4))

    def __call__(self, image: Tensor) -> Tensor:
        height, width = image.shape[-2:]
        angle = _uniform(*self.degrees)
        translate = (0, 0)
        if self.translate is not None:
            max_dx, max_dy = self.translate[0] * width, self.translate[1] * height
            translate = (round(_uniform(-max_dx, max_dx)), round(_uniform(-max_dy, max_dy)))
        scale = 1.0 if self.scale is None else _uniform(*self.scale)
        shear = (0.0, 0.0)
        if self.shear is not None:
            shear_x = _uniform(self.shear[0], self.shear[1])
            shear_y = _uniform(self.shear[2], self.shear[3]) if len(self.shear) == 4 else 0.0
            shear = (shear_x, shear_y)
        return affine(image, angle, translate, scale, shear)


class Identity:
    """Leaves the frame unchanged."""

    def __call__(self, image: Tensor) -> Tensor:
        return image


_TYPES: dict[str, Callable[..., Callable[[Tensor], Tensor]]] = {
    "Identity": Identity,
    "ColorJitter": ColorJitter,
    "SharpnessJitter": SharpnessJitter,
    "RandomAffine": RandomAffine,
}


def make_transform_from_config(cfg: ImageTransformConfig) -> Callable[[Tensor], Tensor]:
    """The transform one :class:`ImageTransformConfig` describes."""
    try:
        return _TYPES[cfg.type](**cfg.kwargs)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"image transform {cfg.type} {cfg.kwargs}: {exc}") from exc


class ImageTransforms:
    """LeRobot's ``ImageTransforms``: a random subset of the configured transforms per frame
    (see :mod:`lr_dataset.transforms`). Disabled (``enable=False``) it returns frames as they
    are."""

    #: Frames given as uint8 come back uint8 (the workers of lr_dataset.DataLoader rely on it).
    keeps_uint8 = True

    def __init__(self, cfg: ImageTransformsConfig) -> None:
        self.config = cfg
        self.weights: list[float] = []
        self.transforms: dict[str, Callable[[Tensor], Tensor]] = {}
        for name, tf_cfg in cfg.tfs.items():
            if tf_cfg.weight <= 0.0:
                continue
            self.transforms[name] = make_transform_from_config(tf_cfg)
            self.weights.append(tf_cfg.weight)
        self.n_subset = min(len(self.transforms), cfg.max_num_transforms)
        self.enabled = cfg.enable and self.n_subset > 0
        total = sum(self.weights)
        self._p = torch.tensor([w / total for w in self.weights]) if self.weights else None

    def __call__(self, frame: Frame) -> Frame:
        """One frame ``(..., 3, H, W)``, float in [0, 1] or uint8, augmented; same dtype."""
        if not self.enabled:
            return frame
        as_uint8 = frame.dtype == torch.uint8
        image = frame.to(torch.float32).div_(255.0) if as_uint8 else frame
        chosen = torch.multinomial(self._p, self.n_subset)
        if not self.config.random_order:
            chosen = chosen.sort().values
        steps = list(self.transforms.values())
        for index in chosen.tolist():
            image = steps[index](image)
        if as_uint8:
            return image.mul(255.0).round_().clamp_(0, 255).to(torch.uint8)
        return image

    def __repr__(self) -> str:
        state = f"{self.n_subset} of {list(self.transforms)}" if self.enabled else "disabled"
        return f"ImageTransforms({state})"
