"""Tiny SmolVLA / π0 / π0.5 policies for the unit tests (assets built locally, nothing
downloaded)."""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path
from typing import Any

import pytest
import torch


def _assets():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(
        "vla_assets_ut", Path(__file__).with_name("assets.py")
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


A = _assets()
STATS = {
    "observation.state": {"mean": [0.0] * 5, "std": [1.0] * 5, "q01": [-2.0] * 5, "q99": [2.0] * 5},
    "action": {"mean": [0.0] * 4, "std": [1.0] * 4, "q01": [-2.0] * 4, "q99": [2.0] * 4},
}


@pytest.fixture(scope="session")
def vla_assets(tmp_path_factory) -> dict[str, Path]:  # type: ignore[no-untyped-def]
    pytest.importorskip("transformers", reason="the VLAs need lr-policies[vla]")
    root = tmp_path_factory.mktemp("vla_assets")
    return {
        "smolvlm": A.make_smolvlm(root / "smolvlm"),
        "paligemma_tokenizer": A.make_paligemma_tokenizer(root / "paligemma"),
    }


@pytest.fixture
def tiny_pi(monkeypatch):  # type: ignore[no-untyped-def]
    """lr's π0 / π0.5 built at the tiny size (as the peer tests shrink LeRobot's)."""
    import lr_policies.pi0.backbone as backbone

    arch = backbone.openpi_architecture()
    arch |= {"vocab_size": A.TINY_VOCAB, "image_token_index": A.TINY_VOCAB - 1}
    arch["vision"] = {**arch["vision"], **A.TINY_SIGLIP}
    arch["gemma_variants"] = A.TINY_GEMMA
    monkeypatch.setattr(backbone, "openpi_architecture", lambda: arch)
    return arch


def tiny_config(kind: str, assets: dict[str, Path], **update: Any):  # type: ignore[no-untyped-def]
    from lr_core.policy import PolicyConfig

    data: dict[str, Any] = {
        "type": kind,
        "chunk_size": 6,
        "n_action_steps": 4,
        "max_state_dim": 8,
        "max_action_dim": 8,
        "input_features": {
            "observation.state": {"type": "STATE", "shape": [5]},
            "observation.images.top": {"type": "VISUAL", "shape": [3, 24, 40]},
        },
        "output_features": {"action": {"type": "ACTION", "shape": [4]}},
    }
    if kind == "smolvla":
        data |= {
            "vlm_model_name": str(assets["smolvlm"]),
            "resize_imgs_with_padding": [32, 32],
            "num_vlm_layers": 4,
            "num_steps": 3,
        }
    else:
        data |= {"image_resolution": [32, 32], "tokenizer_max_length": 24, "num_inference_steps": 3}
    return PolicyConfig.from_dict(data | update)


def make_tiny(kind: str, assets: dict[str, Path], seed: int = 0, **update: Any):  # type: ignore[no-untyped-def]
    """(policy, pre, post) of a tiny ``kind``."""
    from lr_policies.pretrained import policy_class_for

    config = tiny_config(kind, assets, **update)
    torch.manual_seed(seed)
    policy = policy_class_for(config)(config)
    module = importlib.import_module(f"lr_policies.{kind}.processor")
    factory = getattr(module, f"make_{kind}_pre_post_processors")
    extra = {} if kind == "smolvla" else {"tokenizer_name": str(assets["paligemma_tokenizer"])}
    pre, post = factory(config, STATS, **extra)
    return policy, pre, post


def raw_batch(seed: int = 1, batch: int = 2) -> dict[str, Any]:
    g = torch.Generator().manual_seed(seed)
    return {
        "observation.state": torch.randn(batch, 5, generator=g),
        "observation.images.top": torch.rand(batch, 3, 24, 40, generator=g),
        "action": torch.randn(batch, 6, 4, generator=g),
        "action_is_pad": torch.zeros(batch, 6, dtype=torch.bool),
        "task": ["pick up the red cube", "push the block"][:batch],
    }
