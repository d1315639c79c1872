"""Optimizer and schedule presets: LeRobot's values for ACT and Diffusion, and the same
learning-rate curve as LeRobot's (diffusers') cosine schedule."""

from __future__ import annotations

import json
import math
import os
import subprocess
import textwrap

import pytest
import torch

from lr_core.policy import PolicyConfig
from lr_policies.optim import (
    OptimizerConfig,
    SchedulerConfig,
    lr_factor,
    make_optimizer,
    make_scheduler,
    optimizer_preset,
    scheduler_preset,
)


def test_presets_match_lerobots_defaults():
    act = PolicyConfig.from_dict({"type": "act"})
    assert optimizer_preset(act) == OptimizerConfig(
        type="adamw", lr=1e-5, weight_decay=1e-4, grad_clip_norm=10.0
    )
    assert scheduler_preset(act) == SchedulerConfig(type="none")
    diffusion = PolicyConfig.from_dict({"type": "diffusion"})
    assert optimizer_preset(diffusion) == OptimizerConfig(
        type="adam", lr=1e-4, betas=(0.95, 0.999), eps=1e-8, weight_decay=1e-6
    )
    assert scheduler_preset(diffusion) == SchedulerConfig(type="cosine", num_warmup_steps=500)


def test_a_config_hook_wins():
    class Custom:
        def get_optimizer_preset(self):
            return {"type": "sgd", "lr": 0.1, "momentum": 0.9}

        def get_scheduler_preset(self):
            return SchedulerConfig(type="linear", num_warmup_steps=1)

    assert optimizer_preset(Custom()).type == "sgd"
    assert scheduler_preset(Custom()).type == "linear"


def test_lr_factor_shapes():
    cosine = SchedulerConfig(type="cosine", num_warmup_steps=10)
    assert [lr_factor(cosine, s, 110) for s in (0, 5, 10)] == [0.0, 0.5, 1.0]
    assert lr_factor(cosine, 60, 110) == pytest.approx(0.5)
    assert lr_factor(cosine, 110, 110) == pytest.approx(0.0, abs=1e-12)
    linear = SchedulerConfig(type="linear", num_warmup_steps=0)
    assert lr_factor(linear, 25, 100) == 0.75
    assert lr_factor(SchedulerConfig(), 1234, 10) == 1.0


def test_param_groups_keep_their_own_lr():
    a, b = torch.nn.Linear(2, 2), torch.nn.Linear(2, 2)
    opt = make_optimizer(
        [{"params": a.parameters()}, {"params": b.parameters(), "lr": 1e-3}],
        OptimizerConfig(type="adamw", lr=1e-5),
    )
    assert [g["lr"] for g in opt.param_groups] == [1e-5, 1e-3]
    sched = make_scheduler(opt, SchedulerConfig(type="cosine", num_warmup_steps=2), 10)
    opt.step()
    sched.step()
    assert [g["lr"] for g in opt.param_groups] == pytest.approx([0.5e-5, 0.5e-3])
    assert make_scheduler(opt, SchedulerConfig(), 10) is None


@pytest.mark.peer
def test_cosine_schedule_matches_lerobots(peer_python_061):
    code = textwrap.dedent(
        """
        import json
        import torch
        from lerobot.policies.diffusion.configuration_diffusion import DiffusionConfig
        cfg = DiffusionConfig(scheduler_warmup_steps=7)
        p = torch.nn.Parameter(torch.zeros(1))
        opt = cfg.get_optimizer_preset().build([p])
        sched = cfg.get_scheduler_preset().build(opt, num_training_steps=40)
        lrs = []
        for _ in range(40):
            lrs.append(opt.param_groups[0]["lr"])
            opt.step(); sched.step()
        print(json.dumps(lrs))
        """
    )
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    out = subprocess.run([peer_python_061, "-c", code], capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr[-3000:]
    theirs = json.loads(out.stdout.strip().splitlines()[-1])
    cfg = PolicyConfig.from_dict({"type": "diffusion", "scheduler_warmup_steps": 7})
    ours = [1e-4 * lr_factor(scheduler_preset(cfg), s, 40) for s in range(40)]
    assert all(math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-18) for a, b in zip(ours, theirs))
