"""Fully connected layers on oneDNN's fp32 GEMM where that is faster than the BLAS one.

On CPU, ``F.linear`` goes through the BLAS sgemm PyTorch was built with (MKL), which on some
CPUs (AMD's among them) runs a narrower-vector code path than oneDNN's JIT kernels; the same
fp32 product through oneDNN measured 2.2× faster on the project machine (AMD EPYC, AVX-512).
:func:`linear` uses oneDNN for float32 CPU tensors, forward and backward (a custom autograd
function whose gradients are oneDNN products too), and ``F.linear`` everywhere else. Results
differ from ``F.linear`` only by summation order (≈1e-6 relative).

:class:`Linear` is ``nn.Linear`` (same parameters, names and init) using it;
:func:`use_onednn` switches the ``nn.Linear`` modules of an existing model (a transformers
SigLIP tower, say) to it without changing their parameters or state-dict names. Under
``torch.autocast`` the layers take ``F.linear`` (autocast's own casts), as ``nn.Linear`` does.

``LR_ONEDNN=0`` in the environment (read at the first product) turns the oneDNN path off for the
whole process: every layer here then computes exactly what ``F.linear`` / ``nn.Conv1d`` compute
(bit for bit what LeRobot's modules give on the same machine).
"""

from __future__ import annotations

import functools
import os
import weakref
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

_ONEDNN: Any = None


def _onednn_op() -> Any:
    """``torch.ops.mkldnn._linear_pointwise`` if this torch build has a working one and
    ``LR_ONEDNN`` is not ``0``, else False."""
    global _ONEDNN
    if _ONEDNN is None:
        _ONEDNN = False
        if os.environ.get("LR_ONEDNN", "1").strip() == "0":
            return _ONEDNN
        try:
            op = torch.ops.mkldnn._linear_pointwise
            if torch.backends.mkldnn.is_available():
                x, w = torch.ones(2, 3), torch.ones(4, 3)
                if torch.equal(op(x, w, None, "none", [], ""), F.linear(x, w)):
                    _ONEDNN = op
        except (AttributeError, RuntimeError):
            _ONEDNN = False
    return _ONEDNN


def _mm_t(
    a: Tensor, b: Tensor, bias: Tensor | None = None, post_op: str = "none", algorithm: str = ""
) -> Tensor:
    """``post_op(a @ b.T (+ bias))`` for 2-D float32 CPU tensors, on oneDNN (``post_op`` a
    oneDNN eltwise name such as ``"gelu"`` with its ``algorithm``, e.g. ``"tanh"``)."""
    return _onednn_op()(a.contiguous(), b.contiguous(), bias, post_op, [], algorithm)


class _OneDnnLinear(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, x: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor:  # type: ignore[override]
        ctx.save_for_backward(x, weight)
        ctx.has_bias = bias is not None
        x2 = x.reshape(-1, x.shape[-1])
        return _mm_t(x2, weight, bias).reshape(*x.shape[:-1], weight.shape[0])

    @staticmethod
    # torch.autograd.Function declares backward(ctx, *grad_outputs: Any) -> Any
    def backward(ctx: Any, grad: Tensor) -> tuple[Tensor | None, ...]:  # pyright: ignore[reportIncompatibleMethodOverride]
        x, weight = ctx.saved_tensors
        g2 = grad.reshape(-1, grad.shape[-1])
        grad_x = grad_w = grad_b = None
        if ctx.needs_input_grad[0]:
            grad_x = _mm_t(g2, weight.t()).reshape(x.shape)
        if ctx.needs_input_grad[1]:
            grad_w = _mm_t(g2.t(), x.reshape(-1, x.shape[-1]).t())
        if ctx.has_bias and ctx.needs_input_grad[2]:
            grad_b = g2.sum(0)
        return grad_x, grad_w, grad_b


def _use_onednn(x: Tensor, weight: Tensor, dtype: torch.dtype = torch.float32) -> bool:
    """Whether ``x @ weight.T`` in ``dtype`` on CPU, outside autocast, may go to oneDNN."""
    return (
        x.device.type == "cpu"
        and x.dtype == dtype
        and weight.dtype == dtype
        and x.numel() > 0
        and not torch.is_autocast_enabled("cpu")
        and _onednn_op() is not False
    )


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``F.linear(x, weight, bias)``: x (..., in) → (..., out), on oneDNN for fp32 on CPU."""
    if _use_onednn(x, weight):
        return _OneDnnLinear.apply(x, weight, bias)
    return F.linear(x, weight, bias)


class Linear(nn.Linear):
    """``nn.Linear`` computed with :func:`linear`."""

    # torch names the argument `input` (a builtin's name); modules are called positionally
    def forward(self, x: Tensor) -> Tensor:  # pyright: ignore[reportIncompatibleMethodOverride]
        """(..., in_features) → (..., out_features)."""
        return linear(x, self.weight, self.bias)


def use_onednn(module: nn.Module) -> int:
    """Make every plain ``nn.Linear`` inside ``module`` a :class:`Linear` (same parameters,
    names and state dict; fp32 CPU products on oneDNN). Returns how many were switched."""
    return _switch_linears(module, Linear)


def _switch_linears(module: nn.Module, cls: type[nn.Linear]) -> int:
    """Give every plain ``nn.Linear`` inside ``module`` the class ``cls`` (a subclass with the
    same parameters); returns how many were switched."""
    count = 0
    for child in module.modules():
        if type(child) is nn.Linear:
            child.__class__ = cls
            count += 1
    return count


#: Per packed Linear: ((weight data pointer, weight version), the weight it was packed from,
#: the weight in oneDNN's layout). Kept outside the modules so that state dicts, deepcopy and
#: pickling never see the opaque oneDNN tensors; an entry goes with its module. Holding the
#: source weight keeps its memory alive, so a new weight can never reuse its address and be
#: mistaken for it; its version counter (shared with the parameter) moves with in-place changes.
_PACKED: weakref.WeakKeyDictionary[nn.Linear, tuple[tuple[int, int], Tensor, Tensor]] = (
    weakref.WeakKeyDictionary()
)


def _packed_weight(layer: nn.Linear) -> Tensor:
    """``layer.weight`` reordered once into oneDNN's blocked layout (repacked when the weight
    is replaced or changed in place: an optimiser step, ``load_state_dict``, ``.to()``)."""
    weight = layer.weight
    key = (weight.data_ptr(), weight._version)
    cached = _PACKED.get(layer)
    if cached is not None and cached[0] == key:
        return cached[2]
    source = weight.detach()
    with torch.no_grad():
        packed = torch.ops.mkldnn._reorder_linear_weight(source, 64)
    _PACKED[layer] = (key, source, packed)
    return packed


class PackedLinear(nn.Linear):
    """``nn.Linear`` whose bfloat16 CPU inference products use a weight pre-packed once into
    oneDNN's layout (cached per module) instead of reordered at every call.

    For the small-batch products a flow-matching action expert repeats at each denoising step
    (50 tokens × 720 → 2048, say) the per-call reorder is ~25 % of the product's time. oneDNN
    computes both, so the packed product gives ``F.linear``'s bits for such shapes (measured for
    2–131 rows; a single row can differ by summation order, as ``F.linear`` then takes a
    matrix-vector kernel). The packed copy
    costs the weight's size again in memory, so it is meant for layers called many times per
    input. A change made through ``weight.data`` (``p.data.mul_``, as some EMA and LoRA-merge
    code does) does not move the weight's version counter and is not seen: call
    :func:`clear_packed_weights` after one. Training (a gradient wanted), other dtypes and
    devices, autocast, weights created
    under ``torch.inference_mode`` (no version counter to notice an in-place change) and
    ``LR_ONEDNN=0`` take ``F.linear``.
    """

    # torch names the argument `input` (a builtin's name); modules are called positionally
    def forward(self, x: Tensor) -> Tensor:  # pyright: ignore[reportIncompatibleMethodOverride]
        """(..., in_features) → (..., out_features)."""
        weight = self.weight
        if (
            _use_onednn(x, weight, torch.bfloat16)
            and not weight.is_inference()  # no version counter: an in-place change is unseen
            and not (torch.is_grad_enabled() and (x.requires_grad or weight.requires_grad))
        ):
            x2 = x.reshape(-1, x.shape[-1]).contiguous()
            out = _onednn_op()(x2, _packed_weight(self), self.bias, "none", [], "")
            return out.reshape(*x.shape[:-1], self.out_features)
        return F.linear(x, weight, self.bias)


def clear_packed_weights(module: nn.Module) -> int:
    """Forget the packed copies of every :class:`PackedLinear` inside ``module`` (they are
    made again at the next product). Needed only after writing weights through ``.data``,
    which PyTorch does not count as a change. Returns how many were dropped."""
    count = 0
    for child in module.modules():
        if isinstance(child, PackedLinear) and _PACKED.pop(child, None) is not None:
            count += 1
    return count


def use_packed_weights(module: nn.Module) -> int:
    """Make every plain ``nn.Linear`` inside ``module`` a :class:`PackedLinear` (same
    parameters, names and state dict). Returns how many were switched."""
    return _switch_linears(module, PackedLinear)


def _gemm_conv1d_ok(x: Tensor, conv: nn.Conv1d | nn.ConvTranspose1d) -> bool:
    return (
        _use_onednn(x, conv.weight)
        and x.ndim == 3
        and conv.groups == 1
        and conv.dilation == (1,)
        and conv.padding_mode == "zeros"
        and isinstance(conv.padding, tuple)
    )


class Conv1d(nn.Conv1d):
    """``nn.Conv1d`` computed as one GEMM over unfolded windows (im2col) on oneDNN.

    For the short sequences of a diffusion U-Net (T = 16..64) with wide channels, PyTorch's
    convolution path is slow on CPU (it is bound by re-laying-out the weights on every call);
    ``windows (B·T', C_in·k) @ W (C_out, C_in·k)ᵀ`` reads the weights once. Falls back to
    ``nn.Conv1d`` for grouped/dilated/padded-mode variants and non-fp32/non-CPU tensors.
    """

    def forward(self, x: Tensor) -> Tensor:  # pyright: ignore[reportIncompatibleMethodOverride]  # as Linear's
        """(B, C_in, T) → (B, C_out, T_out)."""
        if not _gemm_conv1d_ok(x, self):
            return super().forward(x)
        padding = self.padding
        assert not isinstance(padding, str)  # _gemm_conv1d_ok: "same"/"valid" take torch's path
        (k,), (stride,), (pad,) = self.kernel_size, self.stride, padding
        b, c_in, _ = x.shape
        if k == 1 and stride == 1 and pad == 0:
            windows = x.transpose(1, 2)  # (B, T, C_in)
        else:
            if pad:
                x = F.pad(x, (pad, pad))
            windows = x.unfold(2, k, stride).transpose(1, 2)  # (B, T', C_in, k)
        t_out = windows.shape[1]
        out = linear(
            windows.reshape(b * t_out, c_in * k),
            self.weight.reshape(self.out_channels, -1),
            self.bias,
        )
        return out.reshape(b, t_out, self.out_channels).transpose(1, 2)


class ConvTranspose1d(nn.ConvTranspose1d):
    """``nn.ConvTranspose1d`` as one GEMM (x · W) followed by an overlap-add (``F.fold``).

    Falls back to ``nn.ConvTranspose1d`` for output padding, groups, dilation, non-CPU/fp32.
    """

    def forward(self, x: Tensor, output_size: list[int] | None = None) -> Tensor:  # pyright: ignore[reportIncompatibleMethodOverride]  # as Linear's
        """(B, C_in, T) → (B, C_out, (T − 1)·stride − 2·padding + k)."""
        if output_size is not None or self.output_padding != (0,) or not _gemm_conv1d_ok(x, self):
            return super().forward(x, output_size)
        padding = self.padding
        assert not isinstance(padding, str)  # _gemm_conv1d_ok: "same"/"valid" take torch's path
        (k,), (stride,), (pad,) = self.kernel_size, self.stride, padding
        b, c_in, t = x.shape
        c_out = self.out_channels
        # cols[b, t, o·k + j] = Σ_i x[b, i, t] · W[i, o, j]
        cols = linear(
            x.transpose(1, 2).reshape(b * t, c_in), self.weight.reshape(c_in, c_out * k).t()
        )
        cols = cols.reshape(b, t, c_out * k).transpose(1, 2)  # (B, C_out·k, T)
        length = (t - 1) * stride - 2 * pad + k
        out = F.fold(
            cols, output_size=(1, length), kernel_size=(1, k), stride=(1, stride), padding=(0, pad)
        ).reshape(b, c_out, length)
        if self.bias is not None:
            out = out + self.bias.reshape(1, -1, 1)
        return out


def _is_gelu_tanh(activation: nn.Module) -> bool:
    """transformers' ``GELUTanh`` / ``PytorchGELUTanh`` (``gelu_pytorch_tanh``) or
    ``nn.GELU(approximate="tanh")``."""
    if isinstance(activation, nn.GELU):
        return activation.approximate == "tanh"
    return type(activation).__name__ in {"GELUTanh", "PytorchGELUTanh"}


def _fused_mlp_forward(mlp: nn.Module, x: Tensor) -> Tensor:
    """``fc2(gelu_tanh(fc1(x)))`` with the GELU fused into fc1's oneDNN product (one pass over
    the (N, 4·d) activations fewer) when no gradient is wanted; the plain modules otherwise."""
    fc1, fc2, activation = mlp.fc1, mlp.fc2, mlp.activation_fn
    assert isinstance(fc1, nn.Linear) and isinstance(fc2, nn.Linear)
    assert isinstance(activation, nn.Module)
    wants_grad = torch.is_grad_enabled() and (x.requires_grad or fc1.weight.requires_grad)
    if wants_grad or not _use_onednn(x, fc1.weight):
        return fc2(activation(fc1(x)))
    hidden = _mm_t(x.reshape(-1, x.shape[-1]), fc1.weight, fc1.bias, "gelu", "tanh")
    return fc2(hidden.reshape(*x.shape[:-1], fc1.out_features))


def fuse_mlp_gelu(module: nn.Module) -> int:
    """Fuse the tanh-GELU of every ``fc1 → activation_fn → fc2`` MLP inside ``module`` (the
    SigLIP / SmolVLM vision MLPs of transformers) into fc1's oneDNN product, for float32
    inference on CPU; parameters, names and state dict are unchanged, results equal the unfused
    MLP up to float32 rounding (≈5e-7 on activations of order 1). Training (a gradient wanted),
    other dtypes and devices, and ``LR_ONEDNN=0`` take the modules' own path. Returns how many
    MLPs were fused."""
    count = 0
    for child in module.modules():
        fc1, fc2, act = (getattr(child, name, None) for name in ("fc1", "fc2", "activation_fn"))
        fusable = isinstance(fc1, nn.Linear) and isinstance(fc2, nn.Linear)
        if fusable and isinstance(act, nn.Module) and _is_gelu_tanh(act):
            child.forward = functools.partial(_fused_mlp_forward, child)  # type: ignore[method-assign]
            count += 1
    return count
