"""VisuomotorPolicy behaviour: shapes, augmentation, queues and ensembling, the loss and its
padding mask, checkpoints, and learning where a dot is from pixels."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from lr_core.errors import ConfigError
from lr_core.features import PolicyFeature
from lr_policies.errors import PolicyError
from lr_policies.pretrained import PreTrainedPolicy
from lr_policies.visuomotor import VisuomotorConfig, VisuomotorPolicy
from lr_policies.visuomotor.model import random_shift

FRONT = "observation.images.front"
WRIST = "observation.images.wrist"


def _config(**kw) -> VisuomotorConfig:  # type: ignore[no-untyped-def]
    inputs = kw.pop(
        "inputs",
        {
            "observation.state": PolicyFeature(type="STATE", shape=(4,)),
            FRONT: PolicyFeature(type="VISUAL", shape=(3, 24, 24)),
            WRIST: PolicyFeature(type="VISUAL", shape=(3, 16, 16)),
        },
    )
    base = {
        "input_features": inputs,
        "output_features": {"action": PolicyFeature(type="ACTION", shape=(3,))},
        "chunk_size": 6,
        "n_action_steps": 1,
        "temporal_ensemble_coeff": 0.01,
        "vision_channels": (8, 8),
        "vision_strides": (2, 1),
        "spatial_softmax_num_keypoints": 4,
        "hidden_dims": (32,),
    }
    return VisuomotorConfig(**(base | kw))


def _obs(b: int = 2, seed: int = 0) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return {
        "observation.state": torch.randn(b, 4, generator=g),
        FRONT: torch.rand(b, 3, 24, 24, generator=g),
        WRIST: torch.rand(b, 3, 16, 16, generator=g),
    }


def test_chunk_shape_and_eval_determinism() -> None:
    torch.manual_seed(0)
    policy = VisuomotorPolicy(_config())
    chunk = policy.predict_action_chunk(_obs())
    assert chunk.shape == (2, 6, 3)
    torch.testing.assert_close(chunk, policy.predict_action_chunk(_obs()))


def test_random_shift_is_a_crop_of_the_edge_padded_image() -> None:
    torch.manual_seed(0)
    images = torch.rand(5, 3, 10, 12)
    shifted = random_shift(images, 2)
    padded = torch.nn.functional.pad(images, (2, 2, 2, 2), mode="replicate")
    assert shifted.shape == images.shape
    for b in range(5):
        crops = [padded[b, :, dy : dy + 10, dx : dx + 12] for dy in range(5) for dx in range(5)]
        assert any(torch.equal(shifted[b], c) for c in crops)
    assert torch.equal(random_shift(images, 0), images)


def test_augmentation_only_in_training() -> None:
    torch.manual_seed(0)
    policy = VisuomotorPolicy(_config(random_shift=3))
    obs = _obs()
    policy.eval()
    torch.testing.assert_close(policy._chunk(obs), policy._chunk(obs))
    policy.train()
    assert not torch.equal(policy._chunk(obs), policy._chunk(obs))


def test_queue_returns_the_chunk_in_order() -> None:
    torch.manual_seed(0)
    policy = VisuomotorPolicy(_config(temporal_ensemble_coeff=None, n_action_steps=4))
    obs = _obs()
    chunk = policy.predict_action_chunk(obs)
    policy.reset()
    actions = [policy.select_action(obs) for _ in range(4)]
    torch.testing.assert_close(torch.stack(actions, dim=1), chunk[:, :4])


def test_temporal_ensemble_first_step_is_the_first_action() -> None:
    torch.manual_seed(0)
    policy = VisuomotorPolicy(_config())
    obs = _obs()
    chunk = policy.predict_action_chunk(obs)
    policy.reset()
    torch.testing.assert_close(policy.select_action(obs), chunk[:, 0])
    # the second step averages the first chunk's action 1 with the new chunk's action 0
    second = policy.select_action(obs)
    w0, w1 = 1.0, torch.exp(torch.tensor(-0.01)).item()
    torch.testing.assert_close(second, (chunk[:, 1] * w0 + chunk[:, 0] * w1) / (w0 + w1))


def test_loss_ignores_padded_actions() -> None:
    torch.manual_seed(0)
    policy = VisuomotorPolicy(_config(random_shift=0))
    policy.eval()  # no augmentation: the same prediction twice
    is_pad = torch.zeros(2, 6, dtype=torch.bool)
    is_pad[:, 4:] = True
    actions = torch.randn(2, 6, 3)
    loss, info = policy.forward(_obs() | {"action": actions, "action_is_pad": is_pad})
    changed = actions.clone()
    changed[:, 4:] += 100.0
    loss2, _ = policy.forward(_obs() | {"action": changed, "action_is_pad": is_pad})
    torch.testing.assert_close(loss, loss2)
    assert info["l1_loss"] == pytest.approx(loss.item())
    expected = (policy._chunk(_obs())[:, :4] - actions[:, :4]).abs().mean()
    torch.testing.assert_close(loss, expected)


def test_save_and_load_give_the_same_actions(tmp_path: Path) -> None:
    torch.manual_seed(0)
    policy = VisuomotorPolicy(_config())
    policy.save_pretrained(tmp_path / "p")
    loaded = PreTrainedPolicy.from_pretrained(tmp_path / "p")
    assert isinstance(loaded, VisuomotorPolicy)
    torch.testing.assert_close(
        loaded.predict_action_chunk(_obs()), policy.predict_action_chunk(_obs())
    )


def test_missing_camera_and_training_keys_are_named() -> None:
    policy = VisuomotorPolicy(_config())
    obs = _obs()
    del obs[WRIST]
    with pytest.raises(PolicyError, match="wrist"):
        policy.predict_action_chunk(obs)
    with pytest.raises(PolicyError, match="action"):
        policy.forward(_obs())


def test_config_checks() -> None:
    with pytest.raises(ValueError, match="one length"):
        _config(vision_channels=(8, 8), vision_strides=(2,))
    with pytest.raises(ValueError, match="n_action_steps"):
        _config(n_action_steps=3)
    with pytest.raises(ValueError, match="strides"):
        _config(vision_strides=(3, 1))
    with pytest.raises(ConfigError, match="camera"):
        VisuomotorPolicy(
            _config(inputs={"observation.state": PolicyFeature(type="STATE", shape=(4,))})
        )


def test_learns_where_a_dot_is_from_pixels() -> None:
    """The action is the (x, y) position of a bright dot: keypoints must find it."""
    torch.manual_seed(0)
    config = _config(
        inputs={FRONT: PolicyFeature(type="VISUAL", shape=(3, 24, 24))},
        output_features={"action": PolicyFeature(type="ACTION", shape=(2,))},
        chunk_size=1,
        temporal_ensemble_coeff=None,
        random_shift=0,
        hidden_dims=(64,),
    )
    policy = VisuomotorPolicy(config)
    optimizer = torch.optim.Adam(policy.parameters(), lr=3e-3)

    def batch(n: int) -> dict[str, torch.Tensor]:
        pos = torch.randint(2, 22, (n, 2))
        images = torch.zeros(n, 3, 24, 24)
        for i, (x, y) in enumerate(pos.tolist()):
            images[i, :, y - 1 : y + 2, x - 1 : x + 2] = 1.0
        target = (pos.float() - 12) / 6
        return {
            FRONT: images,
            "action": target[:, None],
            "action_is_pad": torch.zeros(n, 1, dtype=torch.bool),
        }

    test = batch(64)
    policy.train()
    start = policy.forward(test)[0].item()
    for _ in range(300):
        loss, _ = policy.forward(batch(32))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    end = policy.forward(test)[0].item()
    assert end < 0.2 * start and end < 0.15, (start, end)
