"""LeRobot-written Diffusion Policy checkpoints load strictly and, with the same noise, give
LeRobot's actions and losses (≤ 1e-5, CPU)."""

from __future__ import annotations

import pytest
import torch

from lr_policies.diffusion.model import DiffusionPolicy

TOL = 1e-5
CASES = ["diffusion_cam_v061", "diffusion_ddim_v061"]


def _obs(inputs: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {k: v for k, v in inputs.items() if k.startswith("observation.")}


def _close(a: torch.Tensor, b: torch.Tensor) -> bool:
    return a.shape == b.shape and (a - b).abs().max().item() <= TOL


@pytest.mark.parametrize("case", CASES)
def test_chunk_with_injected_noise_matches_lerobot(peer_case, case: str) -> None:
    policy, inputs, outputs = peer_case(case)
    assert isinstance(policy, DiffusionPolicy)
    torch.manual_seed(6)  # DDPM's per-step noise
    chunk = policy.predict_action_chunk(_obs(inputs), noise=inputs["noise"])
    assert _close(chunk, outputs["chunk_noise"])


@pytest.mark.parametrize("case", CASES)
def test_chunk_with_seeded_noise_matches_lerobot(peer_case, case: str) -> None:
    policy, inputs, outputs = peer_case(case)
    policy.reset()
    torch.manual_seed(7)
    assert _close(policy.predict_action_chunk(_obs(inputs)), outputs["chunk_seed7"])


@pytest.mark.parametrize("case", CASES)
def test_online_queues_match_lerobot(peer_case, case: str) -> None:
    policy, inputs, outputs = peer_case(case)
    policy.reset()
    torch.manual_seed(8)
    obs = _obs(inputs)
    steps = [
        policy.select_action({k: v[:, -1] + 0.05 * i for k, v in obs.items()}) for i in range(10)
    ]
    assert _close(torch.stack(steps, 1), outputs["select_action_seed8"])


@pytest.mark.parametrize("case", CASES)
def test_training_loss_matches_lerobot(peer_case, case: str) -> None:
    policy, inputs, outputs = peer_case(case)
    policy.train()
    torch.manual_seed(9)  # random crop, noise and timesteps drawn in LeRobot's order
    loss, info = policy.forward(inputs)
    assert abs(loss.item() - outputs["train_loss_seed9"].item()) <= TOL
    assert info == {"loss": loss.item()}
    loss.backward()
    assert policy.diffusion.unet.final_conv[1].weight.grad is not None
