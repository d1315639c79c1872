"""ResNet-18/34 trunk written in plain PyTorch, with torchvision's parameter names.

The module tree matches ``torchvision.models.resnet18`` (``conv1``, ``bn1``, ``layer1.0.conv1``,
``layer2.0.downsample.0``, ...), so state dicts move between the two unchanged, and LeRobot
checkpoints (which wrap torchvision's model) load with ``strict=True``.

Normalisation layers are :class:`FrozenBatchNorm2d` (ACT, as LeRobot builds it),
``nn.BatchNorm2d`` (Diffusion Policy, torchvision's default) or ``nn.GroupNorm`` with
``C // 16`` groups (Diffusion Policy's ``use_group_norm``).

Speed: with frozen batch norm the affine transform is folded into the preceding convolution's
weights on the fly (``conv(x, W·s) + b'``), which removes one full pass over every activation map
in both the forward and backward passes and stays differentiable in ``W``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from lr_core.errors import ConfigError

#: torchvision weight names → Hub repos holding the same tensors under torchvision's names.
TORCHVISION_WEIGHTS_ON_HUB = {
    "ResNet18_Weights.IMAGENET1K_V1": "timm/resnet18.tv_in1k",
    "ResNet34_Weights.IMAGENET1K_V1": "timm/resnet34.tv_in1k",
}

_LAYERS = {"resnet18": (2, 2, 2, 2), "resnet34": (3, 4, 6, 3)}


class FrozenBatchNorm2d(nn.Module):
    """Batch norm with fixed statistics and affine parameters (all buffers, none trained).

    Same buffers and arithmetic as ``torchvision.ops.misc.FrozenBatchNorm2d``:
    ``y = x · w/√(var+eps) + (b − mean · w/√(var+eps))``.
    """

    # buffers (register_buffer), declared for type checkers: nn.Module types them Tensor | Module
    weight: Tensor
    bias: Tensor
    running_mean: Tensor
    running_var: Tensor

    def __init__(self, num_features: int, eps: float = 1e-5) -> None:
        super().__init__()
        self.eps = eps
        self.register_buffer("weight", torch.ones(num_features))
        self.register_buffer("bias", torch.zeros(num_features))
        self.register_buffer("running_mean", torch.zeros(num_features))
        self.register_buffer("running_var", torch.ones(num_features))

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):  # type: ignore[no-untyped-def]
        # A BatchNorm2d state dict carries num_batches_tracked, which a frozen layer has no use for.
        state_dict.pop(prefix + "num_batches_tracked", None)
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def scale_shift(self) -> tuple[Tensor, Tensor]:
        """Per-channel ``(scale, shift)`` with ``y = x · scale + shift``."""
        scale = self.weight * (self.running_var + self.eps).rsqrt()
        return scale, self.bias - self.running_mean * scale

    def forward(self, x: Tensor) -> Tensor:
        """``x`` (B, C, H, W) → same shape."""
        scale, shift = self.scale_shift()
        return x * scale.reshape(1, -1, 1, 1) + shift.reshape(1, -1, 1, 1)


def _scale_shift(norm: nn.Module) -> tuple[Tensor, Tensor] | None:
    """``(scale, shift)`` of a frozen or eval-mode batch norm, ``None`` if it cannot fold."""
    if isinstance(norm, FrozenBatchNorm2d):
        return norm.scale_shift()
    if isinstance(norm, nn.BatchNorm2d) and not norm.training and norm.track_running_stats:
        assert norm.running_var is not None and norm.running_mean is not None
        scale = norm.running_var.add(norm.eps).rsqrt()
        if norm.weight is not None:
            scale = scale * norm.weight
        shift = -norm.running_mean * scale
        if norm.bias is not None:
            shift = shift + norm.bias
        return scale, shift
    return None


def _fold(conv: nn.Conv2d, norm: nn.Module, ss: tuple[Tensor, Tensor]) -> tuple[Tensor, Tensor]:
    scale, shift = ss
    weight = conv.weight * scale.reshape(-1, 1, 1, 1)
    if weight.device.type == "cpu":
        weight = weight.contiguous(memory_format=torch.channels_last)
    if conv.bias is not None:
        shift = shift + conv.bias * scale
    return weight, shift


def _version_key(conv: nn.Conv2d, norm: nn.Module) -> tuple[int, ...] | None:
    """Identity and version of every tensor the folded weights derive from (``None`` when
    they cannot be tracked: tensors created under ``torch.inference_mode``)."""
    tensors = [conv.weight, *norm.buffers(), *norm.parameters()]
    if conv.bias is not None:
        tensors.append(conv.bias)
    try:
        return tuple(v for t in tensors for v in (t._version, t.data_ptr()))
    except RuntimeError:
        return None


def conv_norm(x: Tensor, conv: nn.Conv2d, norm: nn.Module) -> Tensor:
    """``norm(conv(x))``, folding a frozen (or eval-mode) batch norm into the convolution.

    Without autograd (inference) the folded weights are cached on the convolution and rebuilt
    when any of the tensors they come from changes (optimizer step, ``load_state_dict``, move).
    """
    ss = _scale_shift(norm)
    if ss is None:
        return norm(conv(x))
    if torch.is_grad_enabled() and (conv.weight.requires_grad or x.requires_grad):
        weight, shift = _fold(conv, norm, ss)
    else:
        key = _version_key(conv, norm)
        cached = conv.__dict__.get("_lr_folded")
        if key is not None and cached is not None and cached[0] == key:
            weight, shift = cached[1], cached[2]
        else:
            # Plain tensors (not inference tensors), so they stay usable outside inference mode.
            with torch.inference_mode(False), torch.no_grad():
                weight, shift = _fold(conv, norm, _scale_shift(norm) or ss)
            if key is not None:
                conv.__dict__["_lr_folded"] = (key, weight, shift)
    return F.conv2d(x, weight, shift, conv.stride, conv.padding, conv.dilation, conv.groups)


def to_channels_last(x: Tensor) -> Tensor:
    """NHWC memory layout for CPU image batches (oneDNN's fastest for convolutions)."""
    if x.device.type == "cpu" and x.ndim == 4:
        return x.contiguous(memory_format=torch.channels_last)
    return x


def _conv3x3(cin: int, cout: int, stride: int = 1, dilation: int = 1) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, 3, stride, padding=dilation, dilation=dilation, bias=False)


class BasicBlock(nn.Module):
    """Two 3×3 convolutions with a residual connection (torchvision's ``BasicBlock``)."""

    expansion = 1

    def __init__(
        self,
        inplanes: int,
        planes: int,
        stride: int,
        norm_layer: Callable[[int], nn.Module],
    ) -> None:
        super().__init__()
        self.conv1 = _conv3x3(inplanes, planes, stride)
        self.bn1 = norm_layer(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = _conv3x3(planes, planes)
        self.bn2 = norm_layer(planes)
        self.downsample: nn.Sequential | None = None
        if stride != 1 or inplanes != planes:
            self.downsample = nn.Sequential(
                nn.Conv2d(inplanes, planes, 1, stride, bias=False), norm_layer(planes)
            )
        self.stride = stride

    def forward(self, x: Tensor) -> Tensor:
        """(B, inplanes, H, W) → (B, planes, H/stride, W/stride)."""
        out = F.relu(conv_norm(x, self.conv1, self.bn1), inplace=True)
        out = conv_norm(out, self.conv2, self.bn2)
        if self.downsample is not None:
            identity = conv_norm(x, self.downsample[0], self.downsample[1])
        else:
            identity = x
        out += identity
        return F.relu(out, inplace=True)


class ResNet(nn.Module):
    """ResNet trunk: stem, four stages, then (unless ``include_top=False``) ``avgpool``/``fc``.

    ``forward`` returns the ``layer4`` feature map ``(B, 512, H/32, W/32)`` when
    ``include_top=False``, else class logits ``(B, num_classes)``.
    """

    def __init__(
        self,
        layers: tuple[int, int, int, int],
        norm_layer: Callable[[int], nn.Module] = FrozenBatchNorm2d,
        num_classes: int = 1000,
        include_top: bool = True,
    ) -> None:
        super().__init__()
        self.inplanes = 64
        self.conv1 = nn.Conv2d(3, 64, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = norm_layer(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._stage(64, layers[0], 1, norm_layer)
        self.layer2 = self._stage(128, layers[1], 2, norm_layer)
        self.layer3 = self._stage(256, layers[2], 2, norm_layer)
        self.layer4 = self._stage(512, layers[3], 2, norm_layer)
        self.include_top = include_top
        if include_top:
            self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
            self.fc = nn.Linear(512, num_classes)
        self._init_weights()

    def _stage(
        self, planes: int, blocks: int, stride: int, norm_layer: Callable[[int], nn.Module]
    ) -> nn.Sequential:
        mods = [BasicBlock(self.inplanes, planes, stride, norm_layer)]
        self.inplanes = planes
        mods += [BasicBlock(planes, planes, 1, norm_layer) for _ in range(1, blocks)]
        return nn.Sequential(*mods)

    def _init_weights(self) -> None:
        # torchvision's initialisation: Kaiming-normal (fan_out) convolutions, unit-gain norms.
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d | nn.GroupNorm):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)

    def stem(self, x: Tensor) -> Tensor:
        """conv1 → bn1 → relu → maxpool: (B, 3, H, W) → (B, 64, H/4, W/4)."""
        return self.maxpool(F.relu(conv_norm(x, self.conv1, self.bn1), inplace=True))

    def features(self, x: Tensor) -> Tensor:
        """The ``layer4`` feature map (B, 512, ⌈H/32⌉, ⌈W/32⌉) of images (B, 3, H, W)."""
        x = self.stem(to_channels_last(x))
        return self.layer4(self.layer3(self.layer2(self.layer1(x))))

    def forward(self, x: Tensor) -> Tensor:
        """Feature map without the top, logits with it."""
        x = self.features(x)
        if not self.include_top:
            return x
        return self.fc(torch.flatten(self.avgpool(x), 1))


def group_norm_16(num_channels: int) -> nn.GroupNorm:
    """``GroupNorm(C // 16, C)``: Diffusion Policy's replacement for batch norm."""
    return nn.GroupNorm(num_groups=num_channels // 16, num_channels=num_channels)


def resnet(
    name: str,
    *,
    norm_layer: Callable[[int], nn.Module] = FrozenBatchNorm2d,
    include_top: bool = False,
    replace_final_stride_with_dilation: bool = False,
) -> ResNet:
    """Build ``resnet18`` or ``resnet34`` (randomly initialised, torchvision's names)."""
    if name not in _LAYERS:
        raise ConfigError(
            f"vision_backbone {name!r} is not available: lr implements {sorted(_LAYERS)} "
            "(the basic-block ResNets)"
        )
    if replace_final_stride_with_dilation:
        # torchvision raises the same way: BasicBlock has no dilated variant.
        raise ConfigError(
            f"replace_final_stride_with_dilation is not supported by {name}: basic-block "
            "ResNets have no dilated variant (torchvision raises too); set it to false"
        )
    return ResNet(_LAYERS[name], norm_layer=norm_layer, include_top=include_top)


def resolve_weights_source(source: str) -> Path:
    """A local safetensors file for ``source``: a file, a folder, or a Hub repo (downloaded
    through huggingface_hub; torchvision weight names map through
    :data:`TORCHVISION_WEIGHTS_ON_HUB`)."""
    path = Path(source).expanduser()
    if path.is_file():
        return path
    if path.is_dir():
        files = sorted(path.glob("*.safetensors"))
        if not files:
            raise ConfigError(f"backbone weights folder {path} holds no .safetensors file")
        return files[0]
    repo = TORCHVISION_WEIGHTS_ON_HUB.get(source, source)
    if "/" not in repo or source.endswith(".safetensors"):
        raise ConfigError(
            f"pretrained_backbone_weights {source!r} is neither a file, a folder, a Hub repo "
            f"id nor one of {sorted(TORCHVISION_WEIGHTS_ON_HUB)}"
        )
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError

    try:
        return Path(hf_hub_download(repo_id=repo, filename="model.safetensors"))
    except (LocalEntryNotFoundError, HfHubHTTPError, OSError) as error:
        raise ConfigError(
            f"could not fetch the backbone weights {source!r} (Hub repo {repo!r}, file "
            f"model.safetensors): {type(error).__name__}. Without network access, point "
            "--policy.pretrained_backbone_weights at a local .safetensors file or folder, or "
            "set it to null to start from random weights"
        ) from error


def load_backbone_weights(model: ResNet, source: str) -> None:
    """Load torchvision-named ResNet weights from ``source`` (see :func:`resolve_weights_source`).

    ``fc.*`` is skipped when the model has no top; any other missing or unexpected key is an
    error naming the keys.
    """
    from safetensors.torch import load_file

    path = resolve_weights_source(source)
    state = load_file(str(path))
    if not model.include_top:
        state = {k: v for k, v in state.items() if not k.startswith("fc.")}
    if isinstance(model.bn1, nn.GroupNorm):
        raise ConfigError(
            "cannot load pretrained batch-norm weights into a group-norm backbone; "
            "set use_group_norm=false or pretrained_backbone_weights=null"
        )
    result = model.load_state_dict(state, strict=False)
    missing = [k for k in result.missing_keys if not k.endswith("num_batches_tracked")]
    if missing or result.unexpected_keys:
        raise ConfigError(
            f"backbone weights {path} do not fit {type(model).__name__}: "
            f"missing {missing[:5]}{'...' if len(missing) > 5 else ''}, "
            f"unexpected {result.unexpected_keys[:5]}"
        )


_PRETRAINED_BACKBONE = ContextVar("lr_pretrained_backbone", default=True)


@contextmanager
def no_pretrained_backbone() -> Iterator[None]:
    """Within this block policies skip fetching ImageNet backbone weights (a checkpoint about to
    be loaded overwrites them anyway)."""
    token = _PRETRAINED_BACKBONE.set(False)
    try:
        yield
    finally:
        _PRETRAINED_BACKBONE.reset(token)


def pretrained_backbone_enabled() -> bool:
    """False inside :func:`no_pretrained_backbone`."""
    return _PRETRAINED_BACKBONE.get()
