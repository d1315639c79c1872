"""LeRobot-written ACT checkpoints load strictly and give LeRobot's outputs (≤ 1e-5, CPU)."""

from __future__ import annotations

import pytest
import torch

from lr_policies.act.model import ACTPolicy

TOL = 1e-5
ACT_CASES = ["act_v061", "act_cam_v061", "act_v044"]


def _obs(inputs: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {k: v for k, v in inputs.items() if k.startswith("observation.")}


@pytest.mark.parametrize("case", ACT_CASES)
def test_chunk_matches_lerobot(peer_case, case: str) -> None:
    policy, inputs, outputs = peer_case(case)
    assert isinstance(policy, ACTPolicy)
    chunk = policy.predict_action_chunk(_obs(inputs))
    assert chunk.shape == outputs["chunk"].shape
    assert (chunk - outputs["chunk"]).abs().max().item() <= TOL


@pytest.mark.parametrize("case", ACT_CASES)
def test_action_queue_matches_lerobot(peer_case, case: str) -> None:
    policy, inputs, outputs = peer_case(case)
    policy.reset()
    obs = _obs(inputs)
    steps = [policy.select_action({k: v + 0.1 * i for k, v in obs.items()}) for i in range(7)]
    got = torch.stack(steps, 1)
    assert (got - outputs["select_action"]).abs().max().item() <= TOL


@pytest.mark.parametrize("case", ACT_CASES)
def test_eval_loss_matches_lerobot(peer_case, case: str) -> None:
    policy, inputs, outputs = peer_case(case)
    if "eval_loss" not in outputs:
        pytest.skip("this LeRobot version cannot compute an eval-mode loss with use_vae")
    with torch.no_grad():
        loss, info = policy.forward(inputs)
    assert abs(loss.item() - outputs["eval_loss"].item()) <= TOL
    assert set(info) == {"l1_loss"}


@pytest.mark.parametrize("case", ["act_v061", "act_v044"])
def test_vae_training_loss_matches_lerobot(peer_case, case: str) -> None:
    policy, inputs, outputs = peer_case(case)
    policy.train()
    torch.manual_seed(123)  # the latent's reparameterisation noise, drawn as LeRobot draws it
    loss, info = policy.forward(inputs)
    assert abs(info["kld_loss"] - outputs["train_kld"].item()) <= TOL
    if case != "act_v044":  # 0.4.x averaged the L1 over padded steps too; 0.5+ masks them out
        assert abs(loss.item() - outputs["train_loss"].item()) <= TOL
    loss.backward()
    assert policy.model.vae_encoder.layers[0].self_attn.in_proj_weight.grad is not None


@pytest.mark.parametrize("case", ["act_v061", "act_v044"])
def test_temporal_ensembling_matches_lerobot(peer_case, case: str) -> None:
    policy, inputs, outputs = peer_case(case)
    config = policy.config.model_copy(update={"n_action_steps": 1, "temporal_ensemble_coeff": 0.01})
    te = ACTPolicy(type(config).model_validate(config.to_dict()))
    te.load_state_dict(policy.state_dict())
    obs = _obs(inputs)
    steps = [te.select_action({k: v + 0.1 * i for k, v in obs.items()}) for i in range(4)]
    assert (torch.stack(steps, 1) - outputs["temporal_ensemble"]).abs().max().item() <= TOL
