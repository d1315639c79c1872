"""PreTrainedPolicy: LeRobot's checkpoint layout, strict loading, the factory."""

from __future__ import annotations

import json

import pytest
import torch
from safetensors.torch import load_file, save_file

from lr_core.errors import PluginError
from lr_core.features import FeatureSpec, FeatureType
from lr_core.policy import Policy, PolicyConfig
from lr_policies.errors import CheckpointError, PolicyError
from lr_policies.pretrained import (
    PreTrainedPolicy,
    load_policy_config,
    make_policy,
    resolve_pretrained,
)

FEATURES = {
    "observation.state": {"dtype": "float32", "shape": [3], "names": ["a", "b", "c"]},
    "observation.images.front": {
        "dtype": "video",
        "shape": [8, 10, 3],
        "names": ["height", "width", "channels"],
    },
    "action": {"dtype": "float32", "shape": [2], "names": ["x", "y"]},
    "timestamp": {"dtype": "float32", "shape": [1], "names": None},
    "index": {"dtype": "int64", "shape": [1], "names": None},
}


class Meta:
    features = {k: FeatureSpec.from_json(v) for k, v in FEATURES.items()}


def tiny(**overrides):
    return PolicyConfig.from_dict({"type": "tiny", **overrides})


def batch(n=2):
    g = torch.Generator().manual_seed(0)
    return {
        "observation.state": torch.randn(n, 3, generator=g),
        "observation.images.front": torch.rand(n, 3, 8, 10, generator=g),
        "action": torch.randn(n, 4, 2, generator=g),
    }


def test_make_policy_derives_features_from_the_dataset(tiny_policy_registered):
    policy = make_policy(tiny(), Meta())
    assert isinstance(policy, PreTrainedPolicy) and isinstance(policy, Policy)
    cfg = policy.config
    assert {k: (f.type, f.shape) for k, f in cfg.input_features.items()} == {
        "observation.state": (FeatureType.STATE, (3,)),
        "observation.images.front": (FeatureType.VISUAL, (3, 8, 10)),
    }
    assert {k: (f.type, f.shape) for k, f in cfg.output_features.items()} == {
        "action": (FeatureType.ACTION, (2,))
    }
    loss, info = policy(batch())
    assert loss.ndim == 0 and loss.requires_grad and "l1_loss" in info
    # A plain mapping of info.json features works too.
    assert make_policy(tiny(), FEATURES).config.output_features == cfg.output_features


def test_make_policy_errors(tiny_policy_registered):
    with pytest.raises(PolicyError, match="no action feature"):
        make_policy(tiny(), {"observation.state": FEATURES["observation.state"]})
    with pytest.raises(PolicyError, match="no output features"):
        make_policy(tiny())
    with pytest.raises(Exception, match="nope"):
        make_policy(PolicyConfig.from_dict({"type": "nope"}), Meta())


def test_save_pretrained_writes_lerobots_layout_and_round_trips(tiny_policy_registered, tmp_path):
    policy = make_policy(tiny(hidden=8), Meta())
    policy.save_pretrained(tmp_path / "ckpt")
    files = sorted(p.name for p in (tmp_path / "ckpt").iterdir())
    assert files == ["config.json", "model.safetensors"]
    data = json.loads((tmp_path / "ckpt" / "config.json").read_text())
    assert next(iter(data)) == "type" and data["type"] == "tiny" and data["hidden"] == 8
    assert data["input_features"]["observation.images.front"] == {
        "type": "VISUAL",
        "shape": [3, 8, 10],
    }
    tensors = load_file(tmp_path / "ckpt" / "model.safetensors")
    assert set(tensors) == set(policy.state_dict())

    # The base class picks the implementation from config.json's "type".
    loaded = PreTrainedPolicy.from_pretrained(tmp_path / "ckpt")
    assert type(loaded) is type(policy) and not loaded.training
    assert loaded.config == policy.config
    policy.eval()
    obs = batch()
    torch.testing.assert_close(
        loaded.predict_action_chunk(obs), policy.predict_action_chunk(obs), rtol=0, atol=0
    )
    # The subclass works too; a replacement config is honoured.
    again = type(policy).from_pretrained(
        str(tmp_path / "ckpt"), config=policy.config.model_copy(update={"n_action_steps": 2})
    )
    assert again.config.n_action_steps == 2


def test_select_action_pops_from_a_queue(tiny_policy_registered):
    policy = make_policy(tiny(n_action_steps=3), Meta())
    policy.eval()
    obs = batch()
    chunk = policy.predict_action_chunk(obs)
    actions = [policy.select_action(obs) for _ in range(3)]
    torch.testing.assert_close(torch.stack(actions, 1), chunk[:, :3])
    policy.reset()
    torch.testing.assert_close(policy.select_action(obs), chunk[:, 0])


def test_strict_loading_names_missing_unexpected_and_mismatched(tiny_policy_registered, tmp_path):
    policy = make_policy(tiny(hidden=8), Meta())
    ckpt = policy.save_pretrained(tmp_path / "ckpt")
    tensors = load_file(ckpt / "model.safetensors")
    tensors["extra.weight"] = torch.zeros(1)
    del tensors["net.0.bias"]
    save_file(tensors, ckpt / "model.safetensors")
    with pytest.raises(CheckpointError) as err:
        PreTrainedPolicy.from_pretrained(ckpt)
    msg = str(err.value)
    assert "missing keys (1): net.0.bias" in msg and "unexpected keys (1): extra.weight" in msg

    # Same names, different shapes: a config that does not match the weights.
    policy.save_pretrained(ckpt)
    bigger = policy.config.model_copy(update={"hidden": 16})
    with pytest.raises(CheckpointError, match=r"shape mismatches.*net\.0\.weight"):
        PreTrainedPolicy.from_pretrained(ckpt, config=bigger)


def test_bad_folders_give_clear_errors(tiny_policy_registered, tmp_path):
    with pytest.raises(CheckpointError, match="does not exist"):
        load_policy_config(tmp_path)
    (tmp_path / "config.json").write_text("{not json")
    with pytest.raises(CheckpointError, match="cannot be read as JSON"):
        load_policy_config(tmp_path)
    (tmp_path / "config.json").write_text(json.dumps({"type": "tiny", "hiden": 3}))
    with pytest.raises(CheckpointError, match="hiden"):
        load_policy_config(tmp_path)
    make_policy(tiny(), Meta()).save_pretrained(tmp_path)
    (tmp_path / "model.safetensors").unlink()
    with pytest.raises(CheckpointError, match="model.safetensors does not exist"):
        PreTrainedPolicy.from_pretrained(tmp_path)
    (tmp_path / "model.safetensors").write_bytes(b"garbage")
    with pytest.raises(CheckpointError, match="not a readable safetensors"):
        PreTrainedPolicy.from_pretrained(tmp_path)
    with pytest.raises(CheckpointError, match="neither a folder"):
        resolve_pretrained(tmp_path / "missing" / "deeper" / "x")


def test_policy_needs_its_own_config_class(tiny_policy_registered):
    cls = make_policy(tiny(), Meta()).__class__

    class Other(PolicyConfig):
        type: str = "other"

    with pytest.raises(PolicyError, match="needs a TinyConfig"):
        cls(Other())


def test_unknown_type_in_config_json_names_the_registry(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"type": "no_such_policy"}))
    with pytest.raises((CheckpointError, PluginError), match="no_such_policy"):
        load_policy_config(tmp_path)


def test_hub_ids_go_through_snapshot_download(tiny_policy_registered, tmp_path, monkeypatch):
    """The Hub is replaced by a local folder (no network in tests)."""
    import huggingface_hub

    saved = make_policy(tiny(), Meta()).save_pretrained(tmp_path / "hub_copy")
    calls = []

    def fake_snapshot_download(**kwargs):
        calls.append(kwargs)
        return str(saved)

    monkeypatch.setattr(huggingface_hub, "snapshot_download", fake_snapshot_download)
    policy = PreTrainedPolicy.from_pretrained("user/tiny_policy", revision="v1")
    assert policy.config.type == "tiny"
    assert calls == [
        {
            "repo_id": "user/tiny_policy",
            "revision": "v1",
            "repo_type": "model",
            "allow_patterns": ["*.json", "*.safetensors"],
        }
    ]

    def offline(**kwargs):
        raise OSError("no network")

    monkeypatch.setattr(huggingface_hub, "snapshot_download", offline)
    with pytest.raises(CheckpointError, match="cannot fetch policy 'user/x'.*no network"):
        PreTrainedPolicy.from_pretrained("user/x")
