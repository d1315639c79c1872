"""oneDNN-backed Linear / Conv1d / ConvTranspose1d equal torch's layers, values and gradients."""

from __future__ import annotations

import os

import pytest
import torch
from torch import nn

from lr_policies.layers.linear import Conv1d, ConvTranspose1d, Linear, linear


def _grads(module: nn.Module, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
    x = x.clone().requires_grad_(True)
    module.zero_grad()
    out = module(x)
    (out * torch.linspace(-1, 1, out.numel()).reshape(out.shape)).sum().backward()
    return (out.detach(), x.grad, *(p.grad for p in module.parameters()))


def _compare(ours: nn.Module, ref: nn.Module, x: torch.Tensor, tol: float = 1e-5) -> None:
    ours.load_state_dict(ref.state_dict(), strict=True)
    for a, b in zip(_grads(ours, x), _grads(ref, x), strict=True):
        assert a.shape == b.shape
        assert (a - b).abs().max().item() <= tol * max(1.0, b.abs().max().item())


@pytest.mark.parametrize("bias", [True, False])
def test_linear(bias: bool) -> None:
    torch.manual_seed(0)
    _compare(Linear(24, 40, bias=bias), nn.Linear(24, 40, bias=bias), torch.randn(3, 5, 24))


@pytest.mark.parametrize(
    ("k", "stride", "padding"), [(5, 1, 2), (3, 2, 1), (1, 1, 0), (3, 1, 0), (4, 2, 1)]
)
def test_conv1d(k: int, stride: int, padding: int) -> None:
    torch.manual_seed(0)
    args = (6, 10, k, stride, padding)
    _compare(Conv1d(*args), nn.Conv1d(*args), torch.randn(2, 6, 16))


@pytest.mark.parametrize(("k", "stride", "padding"), [(4, 2, 1), (3, 1, 1), (2, 2, 0)])
def test_conv_transpose1d(k: int, stride: int, padding: int) -> None:
    torch.manual_seed(0)
    args = (6, 10, k, stride, padding)
    _compare(ConvTranspose1d(*args), nn.ConvTranspose1d(*args), torch.randn(2, 6, 8))


def test_unsupported_variants_fall_back() -> None:
    torch.manual_seed(0)
    args = (4, 8, 3)
    _compare(Conv1d(*args, groups=2), nn.Conv1d(*args, groups=2), torch.randn(2, 4, 9))
    _compare(Conv1d(*args, dilation=2), nn.Conv1d(*args, dilation=2), torch.randn(2, 4, 9))
    x64 = torch.randn(2, 3, dtype=torch.float64)
    w64 = torch.randn(4, 3, dtype=torch.float64)
    assert torch.equal(linear(x64, w64), x64 @ w64.t())


def test_use_onednn_switches_plain_linears_and_keeps_the_state_dict() -> None:
    from lr_policies.layers.linear import use_onednn

    class Sub(nn.Linear):
        pass

    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Sequential(nn.Linear(16, 4)), Sub(4, 4))
    x = torch.randn(3, 8)
    before = model(x).detach()
    state = {k: v.clone() for k, v in model.state_dict().items()}
    assert use_onednn(model) == 2  # subclasses of nn.Linear keep their own forward
    assert type(model[0]) is Linear and type(model[2][0]) is Linear and type(model[3]) is Sub
    assert model.state_dict().keys() == state.keys()
    assert all(torch.equal(v, state[k]) for k, v in model.state_dict().items())
    torch.testing.assert_close(model(x), before, atol=1e-6, rtol=1e-5)


def test_linear_follows_autocast_like_nn_linear() -> None:
    torch.manual_seed(0)
    ours, ref = Linear(16, 8), nn.Linear(16, 8)
    ours.load_state_dict(ref.state_dict())
    x = torch.randn(4, 16)
    with torch.autocast("cpu", torch.bfloat16):
        a, b = ours(x), ref(x)
    assert a.dtype == b.dtype == torch.bfloat16
    assert torch.equal(a, b)


def test_lr_onednn_0_gives_torch_kernels_bit_for_bit() -> None:
    """``LR_ONEDNN=0`` (read at the first product, so in a fresh process) turns the oneDNN path
    off: lr's Linear and Conv1d then equal ``F.linear`` / ``nn.Conv1d`` bit for bit."""
    import subprocess
    import sys

    code = """
import torch, torch.nn.functional as F
from torch import nn
from lr_policies.layers import linear as L
torch.manual_seed(0)
x, w, b = torch.randn(33, 70), torch.randn(50, 70), torch.randn(50)
assert L._onednn_op() is False
assert torch.equal(L.linear(x, w, b), F.linear(x, w, b))
conv = L.Conv1d(8, 16, 3, padding=1)
ref = nn.Conv1d(8, 16, 3, padding=1)
ref.load_state_dict(conv.state_dict())
xc = torch.randn(4, 8, 20)
assert torch.equal(conv(xc), ref(xc))
print("exact")
"""
    env = {**os.environ, "LR_ONEDNN": "0"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "exact"


class _MLP(nn.Module):
    """The shape of transformers' SigLIP / SmolVLM vision MLP."""

    def __init__(self, activation: nn.Module) -> None:
        super().__init__()
        self.fc1, self.fc2, self.activation_fn = nn.Linear(24, 96), nn.Linear(96, 24), activation

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.activation_fn(self.fc1(x)))


def test_fuse_mlp_gelu_equals_the_unfused_mlp_and_keeps_training_on_the_module_path() -> None:
    from transformers.activations import ACT2FN

    from lr_policies.layers.linear import fuse_mlp_gelu

    torch.manual_seed(0)
    for activation in (ACT2FN["gelu_pytorch_tanh"], nn.GELU(approximate="tanh")):
        mlp = _MLP(activation)
        keys = set(mlp.state_dict())
        x = torch.randn(3, 17, 24)
        with torch.no_grad():
            ref = mlp(x)
        assert fuse_mlp_gelu(mlp) == 1
        assert set(mlp.state_dict()) == keys
        with torch.no_grad():
            torch.testing.assert_close(mlp(x), ref, atol=2e-6, rtol=0)
        # a gradient wanted: the modules' own path, so backward works and equals autograd's
        out = mlp(x.requires_grad_())
        out.sum().backward()
        assert mlp.fc1.weight.grad is not None and x.grad is not None
        torch.testing.assert_close(out.detach(), ref, atol=2e-6, rtol=0)
    # exact GELU (erf) or another activation: nothing fused
    assert fuse_mlp_gelu(_MLP(nn.GELU())) == 0
    assert fuse_mlp_gelu(_MLP(nn.ReLU())) == 0


def test_packed_linear_gives_f_linears_bits_and_repacks_when_the_weight_changes() -> None:
    from lr_policies.layers import linear as linear_module
    from lr_policies.layers.linear import PackedLinear, clear_packed_weights, use_packed_weights

    if linear_module._onednn_op() is False:
        pytest.skip("no oneDNN in this torch build")
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(72, 200, bias=False), nn.SiLU(), nn.Linear(200, 72))
    model.to(torch.bfloat16)
    keys = {k: v.clone() for k, v in model.state_dict().items()}
    assert use_packed_weights(model) == 2
    assert isinstance(model[0], PackedLinear)
    assert set(model.state_dict()) == set(keys)
    x = torch.randn(2, 25, 72).to(torch.bfloat16)  # 50 rows, as an action expert's chunk
    with torch.no_grad():
        out = model(x)
        ref = torch.nn.functional.linear(
            torch.nn.functional.silu(torch.nn.functional.linear(x, keys["0.weight"])),
            keys["2.weight"],
            keys["2.bias"],
        )
        assert torch.equal(out, ref)
        assert model[0] in linear_module._PACKED
        # an in-place change (an optimiser step, load_state_dict): packed again, new bits
        model[0].weight.mul_(2)
        assert torch.equal(model[0](x), torch.nn.functional.linear(x, model[0].weight))
        # a write through .data is not counted by PyTorch: clear_packed_weights forgets it
        model[0].weight.data.add_(1)
        assert clear_packed_weights(model) == 2
        assert torch.equal(model[0](x), torch.nn.functional.linear(x, model[0].weight))
        # a new weight tensor (.to(), assigning .data): packed again
        for _ in range(3):
            model[0].weight.data = torch.randn_like(model[0].weight)
            assert torch.equal(model[0](x), torch.nn.functional.linear(x, model[0].weight))
    # a gradient wanted: F.linear, so backward works
    out = model(x)
    out.float().sum().backward()
    assert model[0].weight.grad is not None
    # float32 (not packed): F.linear's values
    model.float()
    with torch.no_grad():
        x32 = x.float()
        assert torch.equal(model[0](x32), torch.nn.functional.linear(x32, model[0].weight))


def test_packed_linear_built_under_inference_mode_takes_f_linear() -> None:
    """Parameters created under inference_mode have no version counter, so an in-place change
    could not be noticed: such a layer is never packed, and works in every mode."""
    from lr_policies.layers import linear as linear_module
    from lr_policies.layers.linear import use_packed_weights

    with torch.inference_mode():
        layer = nn.Linear(16, 8).to(torch.bfloat16)
    use_packed_weights(layer)
    x = torch.randn(5, 16).to(torch.bfloat16)
    with torch.inference_mode():
        out = layer(x)
        layer.weight.mul_(2)  # allowed in inference mode, and seen
        doubled = layer(x)
    with torch.no_grad():
        assert torch.equal(layer(x), doubled)
    assert torch.equal(out, torch.nn.functional.linear(x, layer.weight / 2, layer.bias))
    assert layer not in linear_module._PACKED
