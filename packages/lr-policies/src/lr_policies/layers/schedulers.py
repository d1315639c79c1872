"""DDPM and DDIM noise schedulers, numerically identical to diffusers' as LeRobot uses them.

Only what Diffusion Policy needs: "leading" timestep spacing, fixed-small variance, epsilon or
sample prediction, optional clipping of the predicted clean sample. Coefficients are computed
with float32 0-d tensors in diffusers' order of operations, so samples match bit for bit given
the same noise; noise is drawn with ``torch.randn`` in the same order as diffusers draws it.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
from torch import Tensor

BETA_SCHEDULES = ("linear", "scaled_linear", "squaredcos_cap_v2", "sigmoid")
PREDICTION_TYPES = ("epsilon", "sample")


def make_betas(
    num_train_timesteps: int, beta_schedule: str, beta_start: float, beta_end: float
) -> Tensor:
    """(T,) float32 betas for one of :data:`BETA_SCHEDULES` (``squaredcos_cap_v2`` is the
    cosine schedule of Nichol & Dhariwal, capped at 0.999)."""
    n = num_train_timesteps
    if beta_schedule == "linear":
        return torch.linspace(beta_start, beta_end, n, dtype=torch.float32)
    if beta_schedule == "scaled_linear":
        return torch.linspace(beta_start**0.5, beta_end**0.5, n, dtype=torch.float32) ** 2
    if beta_schedule == "squaredcos_cap_v2":

        def alpha_bar(t: float) -> float:
            return math.cos((t + 0.008) / 1.008 * math.pi / 2) ** 2

        betas = [min(1 - alpha_bar((i + 1) / n) / alpha_bar(i / n), 0.999) for i in range(n)]
        return torch.tensor(betas, dtype=torch.float32)
    if beta_schedule == "sigmoid":
        return torch.sigmoid(torch.linspace(-6, 6, n)) * (beta_end - beta_start) + beta_start
    raise ValueError(f"beta_schedule must be one of {BETA_SCHEDULES}, got {beta_schedule!r}")


class _Scheduler:
    """Shared state: the beta schedule, cumulative alphas, timesteps and ``add_noise``."""

    def __init__(
        self,
        num_train_timesteps: int = 1000,
        beta_start: float = 0.0001,
        beta_end: float = 0.02,
        beta_schedule: str = "linear",
        clip_sample: bool = True,
        clip_sample_range: float = 1.0,
        prediction_type: str = "epsilon",
    ) -> None:
        if prediction_type not in PREDICTION_TYPES:
            raise ValueError(
                f"prediction_type must be one of {PREDICTION_TYPES}, got {prediction_type!r}"
            )
        self.num_train_timesteps = num_train_timesteps
        self.clip_sample = clip_sample
        self.clip_sample_range = clip_sample_range
        self.prediction_type = prediction_type
        self.betas = make_betas(num_train_timesteps, beta_schedule, beta_start, beta_end)
        self.alphas = 1.0 - self.betas
        self.alphas_cumprod = torch.cumprod(self.alphas, dim=0)
        self.one = torch.tensor(1.0)
        self.num_inference_steps: int | None = None
        self.timesteps = torch.from_numpy(np.arange(0, num_train_timesteps)[::-1].copy())

    def set_timesteps(self, num_inference_steps: int) -> None:
        """Use ``num_inference_steps`` evenly spaced ("leading") steps, from high to low."""
        if not 0 < num_inference_steps <= self.num_train_timesteps:
            raise ValueError(
                f"num_inference_steps must be in 1..{self.num_train_timesteps}, "
                f"got {num_inference_steps}"
            )
        self.num_inference_steps = num_inference_steps
        ratio = self.num_train_timesteps // num_inference_steps
        steps = (np.arange(0, num_inference_steps) * ratio).round()[::-1].copy().astype(np.int64)
        self.timesteps = torch.from_numpy(steps)

    def add_noise(self, original: Tensor, noise: Tensor, timesteps: Tensor) -> Tensor:
        """Forward diffusion: √ᾱ_t · x₀ + √(1 − ᾱ_t) · ε, with ᾱ per batch element."""
        alphas_cumprod = self.alphas_cumprod.to(device=original.device, dtype=original.dtype)
        timesteps = timesteps.to(original.device)
        shape = (-1,) + (1,) * (original.ndim - 1)
        sqrt_alpha = (alphas_cumprod[timesteps] ** 0.5).flatten().reshape(shape)
        sqrt_one_minus = ((1 - alphas_cumprod[timesteps]) ** 0.5).flatten().reshape(shape)
        return sqrt_alpha * original + sqrt_one_minus * noise

    def _clip(self, x0: Tensor) -> Tensor:
        if self.clip_sample:
            return x0.clamp(-self.clip_sample_range, self.clip_sample_range)
        return x0


class DDPMScheduler(_Scheduler):
    """Ancestral DDPM sampling (Ho et al., 2020) with fixed-small variance."""

    def previous_timestep(self, timestep: Tensor | int) -> Tensor | int:
        """The next lower timestep of the current schedule (−1 after the last)."""
        if self.num_inference_steps:
            index = (self.timesteps == timestep).nonzero(as_tuple=True)[0][0]
            if index == self.timesteps.shape[0] - 1:
                return torch.tensor(-1)
            return self.timesteps[index + 1]
        return timestep - 1

    def step(
        self,
        model_output: Tensor,
        timestep: Tensor | int,
        sample: Tensor,
        generator: torch.Generator | None = None,
    ) -> Tensor:
        """x_t → x_{t−1} (B, T, A); draws the step noise (for t > 0) from ``generator`` or the
        global RNG, as diffusers does."""
        t = timestep
        prev_t = self.previous_timestep(t)
        alpha_prod_t = self.alphas_cumprod[t]
        alpha_prod_t_prev = self.alphas_cumprod[prev_t] if prev_t >= 0 else self.one
        beta_prod_t = 1 - alpha_prod_t
        beta_prod_t_prev = 1 - alpha_prod_t_prev
        current_alpha_t = alpha_prod_t / alpha_prod_t_prev
        current_beta_t = 1 - current_alpha_t

        if self.prediction_type == "epsilon":
            x0 = (sample - beta_prod_t ** (0.5) * model_output) / alpha_prod_t ** (0.5)
        else:
            x0 = model_output
        x0 = self._clip(x0)

        x0_coeff = (alpha_prod_t_prev ** (0.5) * current_beta_t) / beta_prod_t
        sample_coeff = current_alpha_t ** (0.5) * beta_prod_t_prev / beta_prod_t
        prev_sample = x0_coeff * x0 + sample_coeff * sample

        if t > 0:
            noise = torch.randn(
                model_output.shape,
                generator=generator,
                device=model_output.device,
                dtype=model_output.dtype,
            )
            variance = (1 - alpha_prod_t_prev) / (1 - alpha_prod_t) * current_beta_t
            variance = torch.clamp(variance, min=1e-20)
            prev_sample = prev_sample + (variance**0.5) * noise
        return prev_sample


class DDIMScheduler(_Scheduler):
    """Deterministic DDIM sampling (Song et al., 2021; eta = 0), final ᾱ set to one."""

    def __init__(self, *args: Any, beta_schedule: str = "linear", **kwargs: Any) -> None:
        if beta_schedule == "sigmoid":
            raise ValueError("the DDIM scheduler has no 'sigmoid' beta schedule (as diffusers')")
        super().__init__(*args, beta_schedule=beta_schedule, **kwargs)

    def step(
        self,
        model_output: Tensor,
        timestep: Tensor | int,
        sample: Tensor,
        generator: torch.Generator | None = None,
    ) -> Tensor:
        """x_t → x_{t−Δ} (B, T, A); draws no noise (``generator`` is accepted and unused)."""
        if self.num_inference_steps is None:
            raise RuntimeError("call set_timesteps() before step()")
        prev_timestep = timestep - self.num_train_timesteps // self.num_inference_steps
        alpha_prod_t = self.alphas_cumprod[timestep]
        alpha_prod_t_prev = self.alphas_cumprod[prev_timestep] if prev_timestep >= 0 else self.one
        beta_prod_t = 1 - alpha_prod_t
        if self.prediction_type == "epsilon":
            x0 = (sample - beta_prod_t ** (0.5) * model_output) / alpha_prod_t ** (0.5)
            eps = model_output
        else:
            x0 = model_output
            eps = (sample - alpha_prod_t ** (0.5) * x0) / beta_prod_t ** (0.5)
        x0 = self._clip(x0)
        beta_prod_t_prev = 1 - alpha_prod_t_prev
        variance = (beta_prod_t_prev / beta_prod_t) * (1 - alpha_prod_t / alpha_prod_t_prev)
        std_dev_t = 0.0 * variance ** (0.5)
        direction = (1 - alpha_prod_t_prev - std_dev_t**2) ** (0.5) * eps
        return alpha_prod_t_prev ** (0.5) * x0 + direction


def make_scheduler(name: str, **kwargs: Any) -> DDPMScheduler | DDIMScheduler:
    """``"DDPM"`` or ``"DDIM"`` scheduler built with ``kwargs`` (the scheduler's own keyword
    arguments, checked by its constructor)."""
    if name == "DDPM":
        return DDPMScheduler(**kwargs)
    if name == "DDIM":
        return DDIMScheduler(**kwargs)
    raise ValueError(f"noise scheduler must be 'DDPM' or 'DDIM', got {name!r}")
