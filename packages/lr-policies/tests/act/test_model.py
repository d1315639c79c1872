"""ACTPolicy behaviour: shapes, queues, ensembling, training, checkpoints, errors."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from lr_core.features import PolicyFeature
from lr_policies.act import ACTConfig, ACTPolicy
from lr_policies.errors import PolicyError
from lr_policies.pretrained import PreTrainedPolicy

CAM = "observation.images.top"


def _config(**kw) -> ACTConfig:  # type: ignore[no-untyped-def]
    inputs = kw.pop(
        "inputs",
        {
            "observation.state": PolicyFeature(type="STATE", shape=(4,)),
            CAM: PolicyFeature(type="VISUAL", shape=(3, 32, 32)),
        },
    )
    base = {
        "input_features": inputs,
        "output_features": {"action": PolicyFeature(type="ACTION", shape=(3,))},
        "chunk_size": 8,
        "n_action_steps": 4,
        "dim_model": 32,
        "n_heads": 4,
        "dim_feedforward": 64,
        "n_encoder_layers": 1,
        "n_vae_encoder_layers": 1,
        "latent_dim": 4,
        "pretrained_backbone_weights": None,
    }
    return ACTConfig(**(base | kw))


def _obs(b: int = 2, seed: int = 0) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return {
        "observation.state": torch.randn(b, 4, generator=g),
        CAM: torch.rand(b, 3, 32, 32, generator=g),
    }


def _train_batch(b: int = 2) -> dict[str, torch.Tensor]:
    is_pad = torch.zeros(b, 8, dtype=torch.bool)
    is_pad[0, 6:] = True
    return _obs(b) | {"action": torch.randn(b, 8, 3), "action_is_pad": is_pad}


def test_chunk_shape_and_determinism_in_eval() -> None:
    torch.manual_seed(0)
    policy = ACTPolicy(_config())
    chunk = policy.predict_action_chunk(_obs())
    assert chunk.shape == (2, 8, 3)
    assert torch.equal(chunk, policy.predict_action_chunk(_obs()))
    assert not policy.training


def test_action_queue_refills_every_n_action_steps() -> None:
    torch.manual_seed(0)
    policy = ACTPolicy(_config())
    chunk = policy.predict_action_chunk(_obs())
    first = [policy.select_action(_obs()) for _ in range(4)]
    assert torch.allclose(torch.stack(first, 1), chunk[:, :4], atol=1e-6)
    fifth = policy.select_action(_obs(seed=1))  # queue empty: a new chunk from the new obs
    assert torch.allclose(fifth, policy.predict_action_chunk(_obs(seed=1))[:, 0], atol=1e-6)
    policy.reset()
    assert torch.allclose(policy.select_action(_obs()), chunk[:, 0], atol=1e-6)


def test_temporal_ensembling_averages_overlapping_chunks() -> None:
    torch.manual_seed(0)
    policy = ACTPolicy(_config(n_action_steps=1, temporal_ensemble_coeff=0.0))
    c0 = policy.predict_action_chunk(_obs(seed=0))
    c1 = policy.predict_action_chunk(_obs(seed=1))
    a0 = policy.select_action(_obs(seed=0))
    a1 = policy.select_action(_obs(seed=1))
    assert torch.allclose(a0, c0[:, 0], atol=1e-6)
    # coefficient 0: uniform average of the two predictions for this step
    assert torch.allclose(a1, (c0[:, 1] + c1[:, 0]) / 2, atol=1e-6)
    policy.reset()
    assert torch.allclose(policy.select_action(_obs(seed=1)), c1[:, 0], atol=1e-6)


def test_training_reduces_the_loss_and_reports_terms() -> None:
    torch.manual_seed(0)
    policy = ACTPolicy(_config(dropout=0.0))
    policy.train()
    batch = _train_batch()
    optim = torch.optim.AdamW(policy.get_optim_params(), lr=1e-3)
    losses = []
    for _ in range(10):
        loss, info = policy.forward(batch)
        assert set(info) == {"l1_loss", "kld_loss"}
        loss.backward()
        optim.step()
        optim.zero_grad()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]


def test_optimizer_groups_put_the_backbone_apart() -> None:
    policy = ACTPolicy(_config(optimizer_lr_backbone=3e-6))
    rest, backbone = policy.get_optim_params()
    names = {id(p): n for n, p in policy.named_parameters()}
    assert all(names[id(p)].startswith("model.backbone.") for p in backbone["params"])
    assert backbone["lr"] == 3e-6 and len(backbone["params"]) == 20  # 20 convs, BN frozen
    assert len(rest["params"]) + len(backbone["params"]) == len(list(policy.parameters()))


def test_without_vae_state_or_camera() -> None:
    torch.manual_seed(0)
    env_only = {"observation.environment_state": PolicyFeature(type="ENV", shape=(5,))}
    policy = ACTPolicy(_config(inputs=env_only, use_vae=False))
    batch = {"observation.environment_state": torch.randn(3, 5)}
    assert policy.predict_action_chunk(batch).shape == (3, 8, 3)
    policy.train()
    loss, info = policy.forward(
        batch
        | {"action": torch.randn(3, 8, 3), "action_is_pad": torch.zeros(3, 8, dtype=torch.bool)}
    )
    assert set(info) == {"l1_loss"} and loss.requires_grad


def test_two_cameras_of_different_sizes() -> None:
    torch.manual_seed(0)
    inputs = {
        "observation.state": PolicyFeature(type="STATE", shape=(4,)),
        "observation.images.a": PolicyFeature(type="VISUAL", shape=(3, 32, 32)),
        "observation.images.b": PolicyFeature(type="VISUAL", shape=(3, 32, 96)),
    }
    policy = ACTPolicy(_config(inputs=inputs))
    batch = {
        "observation.state": torch.randn(1, 4),
        "observation.images.a": torch.rand(1, 3, 32, 32),
        "observation.images.b": torch.rand(1, 3, 32, 96),
    }
    assert policy.predict_action_chunk(batch).shape == (1, 8, 3)


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    torch.manual_seed(0)
    policy = ACTPolicy(_config())
    policy.save_pretrained(tmp_path)
    loaded = PreTrainedPolicy.from_pretrained(tmp_path)
    assert isinstance(loaded, ACTPolicy)
    assert torch.equal(loaded.predict_action_chunk(_obs()), policy.predict_action_chunk(_obs()))


def test_checkpoint_load_fetches_no_imagenet_weights(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    torch.manual_seed(0)
    ACTPolicy(_config()).save_pretrained(tmp_path)
    config_file = tmp_path / "config.json"
    config_file.write_text(
        config_file.read_text().replace(
            '"pretrained_backbone_weights": null',
            '"pretrained_backbone_weights": "ResNet18_Weights.IMAGENET1K_V1"',
        )
    )

    def no_hub(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("the Hub must not be reached")

    import huggingface_hub

    monkeypatch.setattr(huggingface_hub, "hf_hub_download", no_hub)
    loaded = PreTrainedPolicy.from_pretrained(tmp_path)
    assert loaded.config.pretrained_backbone_weights == "ResNet18_Weights.IMAGENET1K_V1"


def test_pretrained_backbone_from_a_local_file(tmp_path: Path) -> None:
    from safetensors.torch import save_file

    from lr_policies.layers.resnet import resnet

    torch.manual_seed(1)
    trunk = resnet("resnet18")
    for p in trunk.parameters():
        p.data.normal_()
    save_file(trunk.state_dict(), str(tmp_path / "r18.safetensors"))
    policy = ACTPolicy(_config(pretrained_backbone_weights=str(tmp_path / "r18.safetensors")))
    assert torch.equal(policy.model.backbone.layer2[0].conv1.weight, trunk.layer2[0].conv1.weight)


def test_missing_inputs_are_named() -> None:
    policy = ACTPolicy(_config())
    with pytest.raises(PolicyError, match=CAM):
        policy.predict_action_chunk({"observation.state": torch.randn(1, 4)})
    with pytest.raises(PolicyError, match="action_is_pad"):
        policy.forward(_obs() | {"action": torch.randn(2, 8, 3)})


def test_inference_then_training_then_inference() -> None:
    """Caches filled under inference mode (folded backbone weights, image position embedding)
    neither break training nor go stale after an optimizer step."""
    torch.manual_seed(0)
    policy = ACTPolicy(_config(dropout=0.0))
    with torch.inference_mode():
        before = policy.predict_action_chunk(_obs())
    policy.train()
    optim = torch.optim.SGD(policy.parameters(), lr=0.1)
    loss, _ = policy.forward(_train_batch())
    loss.backward()
    optim.step()
    with torch.inference_mode():
        after = policy.predict_action_chunk(_obs())
    policy.eval()
    with torch.no_grad():
        fresh = ACTPolicy(_config(dropout=0.0))
        fresh.load_state_dict(policy.state_dict())
        assert torch.allclose(after, fresh.predict_action_chunk(_obs()), atol=1e-6)
    assert not torch.allclose(before, after)


def test_policy_built_under_inference_mode_still_runs() -> None:
    with torch.inference_mode():
        policy = ACTPolicy(_config())
        assert policy.predict_action_chunk(_obs()).shape == (2, 8, 3)
