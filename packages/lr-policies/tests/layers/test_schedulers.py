"""DDPM/DDIM schedulers against diffusers' (as LeRobot configures them), from a fixture."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from lr_policies.layers.schedulers import DDIMScheduler, DDPMScheduler, make_scheduler

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "peer" / "schedulers_v061"
IO = load_file(str(FIXTURE / "io.safetensors"))
KEYS = sorted({k.rsplit(".", 1)[0] for k in IO if not k.startswith("in.")})


@pytest.mark.parametrize("key", KEYS)
def test_matches_diffusers(key: str) -> None:
    name, schedule, prediction, clip = key.split(".")
    sched = make_scheduler(
        name,
        num_train_timesteps=100,
        beta_start=0.0001,
        beta_end=0.02,
        beta_schedule=schedule,
        clip_sample=bool(int(clip)),
        clip_sample_range=1.0,
        prediction_type=prediction,
    )
    assert torch.equal(sched.alphas_cumprod, IO[f"{key}.alphas_cumprod"])
    sched.set_timesteps(10)
    assert torch.equal(sched.timesteps, IO[f"{key}.timesteps"])
    torch.manual_seed(5)
    sample = IO["in.sample0"].clone()
    for i, t in enumerate(sched.timesteps):
        sample = sched.step(IO["in.outputs"][i], t, sample)
    assert torch.equal(sample, IO[f"{key}.final"])
    x0 = IO["in.sample0"][:1].repeat(3, 1, 1)
    eps = IO["in.outputs"][0, :1].repeat(3, 1, 1)
    noisy = sched.add_noise(x0, eps, torch.tensor([0, 17, 99]))
    assert torch.equal(noisy, IO[f"{key}.add_noise"])


def test_all_combinations_are_covered() -> None:
    assert len(KEYS) == 4 * 2 * 2 + 3 * 2 * 2  # DDIM has no sigmoid schedule


def test_invalid_settings_raise() -> None:
    with pytest.raises(ValueError, match="sigmoid"):
        DDIMScheduler(beta_schedule="sigmoid")
    with pytest.raises(ValueError, match="prediction_type"):
        DDPMScheduler(prediction_type="v_prediction")
    with pytest.raises(ValueError, match="num_inference_steps"):
        DDPMScheduler(num_train_timesteps=10).set_timesteps(11)
    with pytest.raises(ValueError, match="DDPM"):
        make_scheduler("PNDM")
    with pytest.raises(RuntimeError, match="set_timesteps"):
        DDIMScheduler().step(torch.zeros(1), torch.tensor(5), torch.zeros(1))
