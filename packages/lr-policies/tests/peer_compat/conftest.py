"""Loading the LeRobot-written fixtures in ``tests/fixtures/peer`` (see make_peer_fixtures.py)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
PEER_FIXTURES = FIXTURES / "peer"
MAKER = FIXTURES / "make_peer_fixtures.py"
REPO = Path(__file__).resolve().parents[4]


def _load_module(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def maker() -> ModuleType:
    """The fixture script (imports only numpy at module level)."""
    return _load_module(MAKER, "make_peer_fixtures")


def peer_python(version: str) -> Path | None:
    """The peer interpreter, or None (tools/peer/locate.py)."""
    locate = _load_module(REPO / "tools" / "peer" / "locate.py", "lr_peer_locate")
    return locate.peer_python(version)


def install_hint() -> str:
    """How to install the peers."""
    locate = _load_module(REPO / "tools" / "peer" / "locate.py", "lr_peer_locate")
    return locate.INSTALL_HINT


def load_case(folder: Path) -> tuple[Any, dict[str, Any], dict[str, Any]]:
    """(policy in eval mode, inputs, outputs) of one case folder.

    A full ``model.safetensors`` goes through ``from_pretrained`` (strict). A slim
    ``model_without_backbone.safetensors`` is completed with the formula backbone first.
    """
    import torch
    from safetensors.torch import load_file

    from lr_policies.layers.resnet import no_pretrained_backbone
    from lr_policies.pretrained import PreTrainedPolicy, load_policy_config, policy_class_for

    io = load_file(str(folder / "io.safetensors"))
    inputs = {k[3:]: v for k, v in io.items() if k.startswith("in.")}
    outputs = {k[4:]: v for k, v in io.items() if k.startswith("out.")}
    if (folder / "model.safetensors").exists():
        policy = PreTrainedPolicy.from_pretrained(folder)
        return policy, inputs, outputs
    config = load_policy_config(folder)
    with no_pretrained_backbone():
        policy = policy_class_for(config)(config)
    state = load_file(str(folder / "model_without_backbone.safetensors"))
    full = policy.state_dict()
    prefix = next(
        p
        for p in ("model.backbone.", "diffusion.rgb_encoder.0.backbone.")
        if any(k.startswith(p) for k in full)
    )
    names = sorted(k for k in full if k.startswith(prefix) and full[k].is_floating_point())
    formula = maker().formula_tensor
    for i, name in enumerate(names):
        state[name] = torch.from_numpy(formula(name, tuple(full[name].shape), i))
    for name, tensor in full.items():
        if name.startswith(prefix) and not tensor.is_floating_point():
            state[name] = tensor
    policy.load_state_dict(state, strict=True)
    policy.eval()
    return policy, inputs, outputs


@pytest.fixture
def peer_case():  # type: ignore[no-untyped-def]
    """``peer_case(name)`` → (policy, inputs, outputs) for a checked-in fixture folder."""
    return lambda name: load_case(PEER_FIXTURES / name)
