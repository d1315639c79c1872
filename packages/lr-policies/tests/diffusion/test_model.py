"""DiffusionPolicy behaviour: queues, shapes, training, schedulers, cameras, checkpoints."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from lr_core.features import PolicyFeature
from lr_policies.diffusion import DiffusionConfig, DiffusionPolicy
from lr_policies.errors import PolicyError
from lr_policies.pretrained import PreTrainedPolicy

CAM = "observation.images.top"


def _config(**kw) -> DiffusionConfig:  # type: ignore[no-untyped-def]
    inputs = kw.pop(
        "inputs",
        {
            "observation.state": PolicyFeature(type="STATE", shape=(2,)),
            CAM: PolicyFeature(type="VISUAL", shape=(3, 36, 36)),
        },
    )
    base = {
        "input_features": inputs,
        "output_features": {"action": PolicyFeature(type="ACTION", shape=(2,))},
        "horizon": 8,
        "n_action_steps": 4,
        "down_dims": (8, 16),
        "kernel_size": 3,
        "n_groups": 4,
        "diffusion_step_embed_dim": 8,
        "spatial_softmax_num_keypoints": 4,
        "num_inference_steps": 3,
        "crop_shape": (33, 33),
        "pretrained_backbone_weights": None,
    }
    return DiffusionConfig(**(base | kw))


def _obs(b: int = 2, seed: int = 0) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return {
        "observation.state": torch.randn(b, 2, generator=g),
        CAM: torch.rand(b, 3, 36, 36, generator=g),
    }


def test_select_action_queues_observations_and_actions() -> None:
    torch.manual_seed(0)
    policy = DiffusionPolicy(_config())
    policy.eval()
    torch.manual_seed(1)
    actions = [policy.select_action(_obs(seed=i)) for i in range(5)]
    assert all(a.shape == (2, 2) for a in actions)
    assert len(policy._queues["action"]) == 3  # second chunk of 4, one popped
    # Offline equivalent of the first call: the first observation repeated n_obs_steps times.
    policy.reset()
    first = {k: torch.stack([v, v], 1) for k, v in _obs(seed=0).items()}
    torch.manual_seed(1)
    chunk = policy.predict_action_chunk(first)
    assert chunk.shape == (2, 4, 2)
    assert torch.allclose(chunk[:, 0], actions[0], atol=1e-6)
    assert torch.allclose(chunk[:, 3], actions[3], atol=1e-6)


def test_injected_noise_makes_sampling_deterministic_for_ddim() -> None:
    torch.manual_seed(0)
    policy = DiffusionPolicy(_config(noise_scheduler_type="DDIM"))
    policy.eval()
    batch = {k: torch.stack([v, v], 1) for k, v in _obs().items()}
    noise = torch.randn(2, 8, 2)
    a = policy.predict_action_chunk(batch, noise=noise)
    torch.manual_seed(123)
    assert torch.equal(a, policy.predict_action_chunk(batch, noise=noise))
    assert a.abs().max() <= 1.0  # clip_sample keeps x0 in range; DDIM's last step returns x0


def _train_batch(b: int = 4) -> dict[str, torch.Tensor]:
    obs = {k: torch.stack([v, v + 0.1], 1) for k, v in _obs(b=b).items()}
    return obs | {
        "action": torch.rand(b, 8, 2) * 2 - 1,
        "action_is_pad": torch.zeros(b, 8, dtype=torch.bool),
    }


def test_training_reduces_the_loss() -> None:
    torch.manual_seed(0)
    policy = DiffusionPolicy(_config(prediction_type="sample"))
    policy.train()
    batch = _train_batch()
    optim = torch.optim.Adam(policy.get_optim_params(), lr=3e-3)
    losses = []
    for step in range(12):
        torch.manual_seed(step % 2)
        loss, info = policy.forward(batch)
        assert info == {"loss": loss.item()}
        loss.backward()
        optim.step()
        optim.zero_grad()
        losses.append(loss.item())
    assert sum(losses[-2:]) < sum(losses[:2])


@pytest.mark.parametrize(
    "kw",
    [
        {"use_group_norm": True, "crop_is_random": False},
        {"use_separate_rgb_encoder_per_camera": False},
        {"do_mask_loss_for_padding": True},
        {"gradient_checkpointing": True},
    ],
)
def test_training_variants_give_gradients(kw: dict) -> None:
    torch.manual_seed(0)
    policy = DiffusionPolicy(_config(**kw))
    policy.train()
    loss, _ = policy.forward(_train_batch(b=2))
    loss.backward()
    grads = [p.grad for p in policy.parameters() if p.requires_grad]
    assert all(g is not None and torch.isfinite(g).all() for g in grads)


def test_resize_then_centre_crop_at_inference() -> None:
    torch.manual_seed(0)
    policy = DiffusionPolicy(_config(resize_shape=(42, 42), crop_ratio=0.8))
    assert policy.config.crop_shape == (33, 33)
    enc = policy.diffusion.rgb_encoder[0]
    enc.eval()
    x = torch.rand(1, 3, 36, 36)
    assert enc.preprocess(x).shape == (1, 3, 33, 33)


def test_env_state_without_camera_and_save_load(tmp_path: Path) -> None:
    torch.manual_seed(0)
    inputs = {
        "observation.state": PolicyFeature(type="STATE", shape=(2,)),
        "observation.environment_state": PolicyFeature(type="ENV", shape=(3,)),
    }
    policy = DiffusionPolicy(_config(inputs=inputs, crop_shape=None))
    policy.save_pretrained(tmp_path)
    loaded = PreTrainedPolicy.from_pretrained(tmp_path)
    batch = {
        "observation.state": torch.randn(1, 2, 2),
        "observation.environment_state": torch.randn(1, 2, 3),
    }
    noise = torch.randn(1, 8, 2)
    torch.manual_seed(5)
    a = policy.predict_action_chunk(batch, noise=noise)
    torch.manual_seed(5)
    assert torch.equal(a, loaded.predict_action_chunk(batch, noise=noise))


def test_errors_name_the_problem() -> None:
    policy = DiffusionPolicy(_config())
    with pytest.raises(PolicyError, match="n_obs_steps"):
        policy.predict_action_chunk({k: v.unsqueeze(1) for k, v in _obs().items()})
    with pytest.raises(PolicyError, match="action_is_pad"):
        policy.forward(
            {k: torch.stack([v, v], 1) for k, v in _obs().items()}
            | {"action": torch.randn(2, 8, 2)}
        )
    with pytest.raises(PolicyError, match="group norm|pretrained"):
        DiffusionPolicy(_config(use_group_norm=True, pretrained_backbone_weights="x/y"))
