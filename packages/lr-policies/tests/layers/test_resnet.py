"""The ResNet trunk: torchvision's names and shapes, torchvision's outputs, weight loading."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file
from torch import nn

from lr_core.errors import ConfigError
from lr_policies.layers.resnet import (
    FrozenBatchNorm2d,
    ResNet,
    conv_norm,
    load_backbone_weights,
    resnet,
    resolve_weights_source,
)

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "peer" / "torchvision_resnet18_v061"
MAKER = Path(__file__).resolve().parents[1] / "fixtures" / "make_peer_fixtures.py"


def _formula():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("make_peer_fixtures", MAKER)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.formula_tensor


def _torchvision_weights(tmp_path: Path) -> Path:
    """A safetensors file with torchvision resnet18's names, filled as the fixture was."""
    shapes = json.loads((FIXTURE / "state_dict_shapes.json").read_text())
    formula = _formula()
    names = sorted(k for k in shapes if not k.endswith("num_batches_tracked"))
    tensors = {k: torch.from_numpy(formula(k, tuple(shapes[k]), i)) for i, k in enumerate(names)}
    tensors |= {k: torch.tensor(0) for k in shapes if k.endswith("num_batches_tracked")}
    path = tmp_path / "resnet18.safetensors"
    save_file(tensors, str(path))
    return path


def test_state_dict_names_and_shapes_are_torchvisions() -> None:
    shapes = json.loads((FIXTURE / "state_dict_shapes.json").read_text())
    ours = ResNet((2, 2, 2, 2), norm_layer=nn.BatchNorm2d).state_dict()
    assert {k: list(v.shape) for k, v in ours.items()} == shapes
    frozen = resnet("resnet18").state_dict()  # frozen BN, no top: what ACT saves
    expected = {k for k in shapes if not k.startswith("fc.") and "num_batches" not in k}
    assert set(frozen) == expected


@pytest.mark.parametrize("norm", [FrozenBatchNorm2d, nn.BatchNorm2d])
def test_outputs_match_torchvision(tmp_path: Path, norm) -> None:  # type: ignore[no-untyped-def]
    io = load_file(str(FIXTURE / "io.safetensors"))
    model = ResNet((2, 2, 2, 2), norm_layer=norm).eval()
    load_backbone_weights(model, str(_torchvision_weights(tmp_path)))
    with torch.no_grad():
        logits = model(io["in.image"])
        layer4 = model.features(io["in.image"])
    scale = io["out.logits"].abs().max().item()
    assert (logits - io["out.logits"]).abs().max().item() <= 1e-5 * max(1.0, scale)
    assert (layer4 - io["out.layer4"]).abs().max().item() <= 1e-5 * io[
        "out.layer4"
    ].abs().max().item()


def test_weights_from_folder_skip_fc_without_top(tmp_path: Path) -> None:
    path = _torchvision_weights(tmp_path)
    model = resnet("resnet18")
    load_backbone_weights(model, str(tmp_path))  # a folder holding the file works too
    ref = load_file(str(path))
    assert torch.equal(model.layer3[1].conv2.weight, ref["layer3.1.conv2.weight"])
    assert torch.equal(model.bn1.running_var, ref["bn1.running_var"])


def test_bad_weight_sources_are_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="neither a file"):
        resolve_weights_source(str(tmp_path / "nope.safetensors"))
    with pytest.raises(ConfigError, match="holds no .safetensors"):
        resolve_weights_source(str(tmp_path))
    save_file({"conv1.weight": torch.zeros(64, 3, 7, 7)}, str(tmp_path / "partial.safetensors"))
    with pytest.raises(ConfigError, match="missing"):
        load_backbone_weights(resnet("resnet18"), str(tmp_path / "partial.safetensors"))


def test_torchvision_weight_names_map_to_hub_repos(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    calls = []

    def fake_download(repo_id: str, filename: str) -> str:  # the Hub is mocked, never reached
        calls.append((repo_id, filename))
        return "/downloaded/model.safetensors"

    import huggingface_hub

    monkeypatch.setattr(huggingface_hub, "hf_hub_download", fake_download)
    path = resolve_weights_source("ResNet18_Weights.IMAGENET1K_V1")
    assert calls == [("timm/resnet18.tv_in1k", "model.safetensors")]
    assert str(path) == "/downloaded/model.safetensors"


def test_unreachable_hub_weights_give_a_clear_error(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import huggingface_hub
    from huggingface_hub.errors import LocalEntryNotFoundError

    def offline_download(repo_id: str, filename: str) -> str:  # what an offline machine gets
        raise LocalEntryNotFoundError("cannot find the requested files in the local cache")

    monkeypatch.setattr(huggingface_hub, "hf_hub_download", offline_download)
    with pytest.raises(ConfigError) as error:
        resolve_weights_source("ResNet18_Weights.IMAGENET1K_V1")
    message = str(error.value)
    assert "timm/resnet18.tv_in1k" in message
    assert "pretrained_backbone_weights" in message and "null" in message


def test_dilation_and_unknown_backbones_are_refused() -> None:
    with pytest.raises(ConfigError, match="dilated"):
        resnet("resnet18", replace_final_stride_with_dilation=True)
    with pytest.raises(ConfigError, match="resnet50"):
        resnet("resnet50")


def test_folded_frozen_batch_norm_equals_the_layer_and_trains_the_conv() -> None:
    torch.manual_seed(0)
    conv = nn.Conv2d(4, 8, 3, padding=1, bias=False)
    bn = FrozenBatchNorm2d(8)
    bn.weight.uniform_(0.5, 1.5)
    bn.bias.normal_()
    bn.running_mean.normal_()
    bn.running_var.uniform_(0.5, 2.0)
    x = torch.randn(2, 4, 10, 12)
    assert (conv_norm(x, conv, bn) - bn(conv(x))).abs().max().item() < 1e-5
    conv_norm(x, conv, bn).sum().backward()
    fused_grad = conv.weight.grad.clone()
    conv.weight.grad = None
    bn(conv(x)).sum().backward()
    assert (fused_grad - conv.weight.grad).abs().max().item() < 1e-4


def test_eval_batch_norm_folds_and_train_mode_uses_batch_stats() -> None:
    torch.manual_seed(0)
    conv, bn = nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8)
    x = torch.randn(4, 3, 9, 9)
    bn.train()
    assert torch.equal(conv_norm(x, conv, bn), bn(conv(x)))  # not folded: batch statistics
    bn.eval()
    assert (conv_norm(x, conv, bn) - bn(conv(x))).abs().max().item() < 1e-5
