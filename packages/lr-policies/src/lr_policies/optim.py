"""Optimizer and learning-rate schedule configs, and the policy presets (LeRobot's defaults).

A policy config may provide its own preset with ``get_optimizer_preset()`` /
``get_scheduler_preset()`` (returning :class:`OptimizerConfig` / :class:`SchedulerConfig` or
``None``). Otherwise the preset is read from LeRobot's field names when present:
``optimizer_lr``, ``optimizer_weight_decay``, ``optimizer_betas``, ``optimizer_eps``,
``optimizer_lr_backbone``, ``scheduler_name``, ``scheduler_warmup_steps``. A config with
``optimizer_betas`` trains with Adam (LeRobot's Diffusion Policy), one without with AdamW
(LeRobot's ACT).

The config classes need no torch; :func:`make_optimizer` and :func:`make_scheduler` import it.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from lr_core.config import LrConfig
from lr_core.errors import ConfigError

if TYPE_CHECKING:  # pragma: no cover
    import torch


class OptimizerConfig(LrConfig):
    """``type``: adam, adamw or sgd; ``grad_clip_norm`` ≤ 0 disables clipping."""

    type: Literal["adam", "adamw", "sgd"] = "adamw"
    """adam, adamw or sgd."""
    lr: float = 1e-4
    """Learning rate."""
    betas: tuple[float, float] = (0.9, 0.999)
    """Adam betas."""
    eps: float = 1e-8
    """Adam epsilon."""
    weight_decay: float = 0.0
    """Weight decay."""
    momentum: float = 0.0
    """SGD momentum."""
    grad_clip_norm: float = 10.0
    """Clip the gradient norm to this (≤ 0: no clipping)."""


class SchedulerConfig(LrConfig):
    """``type``: ``none`` (constant), ``cosine`` (diffusers' ``cosine``: linear warm-up, then a
    half cosine to 0 at the last step), ``linear`` (warm-up, then linear decay to 0) or
    ``cosine_decay_with_warmup`` (LeRobot's ``CosineDecayWithWarmupSchedulerConfig``, the VLAs'
    preset: warm-up from ``peak_lr / (warm-up + 1)``, then a half cosine from ``peak_lr`` to
    ``decay_lr`` over ``num_decay_steps``; both spans shrink in proportion when the run is shorter
    than ``num_decay_steps``)."""

    type: Literal["none", "cosine", "linear", "cosine_decay_with_warmup"] = "none"
    """none (constant), cosine (warm-up, then a half cosine to 0), linear (warm-up, then linear
    decay to 0) or cosine_decay_with_warmup (LeRobot's, the VLAs' preset)."""
    num_warmup_steps: int = Field(0, ge=0)
    """Steps of linear warm-up."""
    num_decay_steps: int | None = Field(None, ge=1)
    """cosine_decay_with_warmup: steps of the cosine from peak_lr to decay_lr."""
    peak_lr: float | None = Field(None, gt=0)
    """cosine_decay_with_warmup: the learning rate at the end of the warm-up."""
    decay_lr: float | None = Field(None, ge=0)
    """cosine_decay_with_warmup: the learning rate at the end of the decay."""


def optimizer_preset(policy_config: Any) -> OptimizerConfig:
    """The optimizer a policy trains with by default (see the module docstring)."""
    hook = getattr(policy_config, "get_optimizer_preset", None)
    if callable(hook):
        preset = hook()
        if preset is not None:
            return OptimizerConfig.model_validate(_as_dict(preset))
    fields: dict[str, Any] = {}
    if hasattr(policy_config, "optimizer_betas"):
        fields["type"] = "adam"
        fields["betas"] = tuple(policy_config.optimizer_betas)
    else:
        fields["type"] = "adamw"
    for ours, theirs in (
        ("lr", "optimizer_lr"),
        ("eps", "optimizer_eps"),
        ("weight_decay", "optimizer_weight_decay"),
        ("grad_clip_norm", "optimizer_grad_clip_norm"),
    ):
        if getattr(policy_config, theirs, None) is not None:
            fields[ours] = getattr(policy_config, theirs)
    return OptimizerConfig(**fields)


def scheduler_preset(policy_config: Any) -> SchedulerConfig:
    """The learning-rate schedule a policy trains with by default (``none`` unless it says)."""
    hook = getattr(policy_config, "get_scheduler_preset", None)
    if callable(hook):
        preset = hook()
        return (
            SchedulerConfig()
            if preset is None
            else SchedulerConfig.model_validate(_as_dict(preset))
        )
    name = getattr(policy_config, "scheduler_name", None)
    if not name:
        return SchedulerConfig()
    return SchedulerConfig(
        type=name, num_warmup_steps=int(getattr(policy_config, "scheduler_warmup_steps", 0) or 0)
    )


def _as_dict(value: Any) -> dict[str, Any]:
    if isinstance(value, LrConfig):
        return value.model_dump()
    if isinstance(value, dict):
        return value
    raise ConfigError(f"an optimizer/scheduler preset must be a config or a dict, got {value!r}")


def make_optimizer(params: Any, config: OptimizerConfig) -> torch.optim.Optimizer:
    """Build the optimizer for ``params`` (tensors or param-group dicts with their own ``lr``)."""
    import torch

    if config.type == "adam":
        return torch.optim.Adam(
            params,
            lr=config.lr,
            betas=config.betas,
            eps=config.eps,
            weight_decay=config.weight_decay,
        )
    if config.type == "adamw":
        return torch.optim.AdamW(
            params,
            lr=config.lr,
            betas=config.betas,
            eps=config.eps,
            weight_decay=config.weight_decay,
        )
    return torch.optim.SGD(
        params, lr=config.lr, momentum=config.momentum, weight_decay=config.weight_decay
    )


def lr_factor(config: SchedulerConfig, step: int, total_steps: int) -> float:
    """The multiplier of the base learning rate after ``step`` optimizer steps."""
    if config.type == "none":
        return 1.0
    if config.type == "cosine_decay_with_warmup":
        return _cosine_decay_with_warmup(config, step, total_steps)
    warmup = config.num_warmup_steps
    if step < warmup:
        return step / max(1, warmup)
    progress = (step - warmup) / max(1, total_steps - warmup)
    if config.type == "cosine":
        return max(0.0, 0.5 * (1.0 + math.cos(math.pi * progress)))
    return max(0.0, 1.0 - progress)


def _cosine_decay_with_warmup(config: SchedulerConfig, step: int, total_steps: int) -> float:
    """LeRobot 0.6.1's ``CosineDecayWithWarmupSchedulerConfig.build`` lambda
    (lerobot/optim/schedulers.py)."""
    if config.num_decay_steps is None or config.peak_lr is None or config.decay_lr is None:
        raise ConfigError(
            "scheduler cosine_decay_with_warmup needs num_decay_steps, peak_lr and decay_lr"
        )
    warmup, decay = config.num_warmup_steps, config.num_decay_steps
    if total_steps < decay:
        warmup = int(warmup * (total_steps / decay))
        decay = total_steps
    if step < warmup:
        if step <= 0:
            return 1 / (warmup + 1)
        frac = 1 - step / warmup
        return (1 / (warmup + 1) - 1) * frac + 1
    alpha = config.decay_lr / config.peak_lr
    cosine = 0.5 * (1 + math.cos(math.pi * min(step, decay) / decay))
    return (1 - alpha) * cosine + alpha


def make_scheduler(
    optimizer: torch.optim.Optimizer, config: SchedulerConfig, total_steps: int
) -> torch.optim.lr_scheduler.LambdaLR | None:
    """A ``LambdaLR`` following :func:`lr_factor`, or ``None`` for a constant rate."""
    import torch

    if config.type == "none":
        return None
    return torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: lr_factor(config, step, total_steps)
    )
