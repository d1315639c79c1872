"""`lr quickstart` flags adjust the built-in run instead of replacing it."""

from __future__ import annotations

from lr_core.config import parse_cli
from lr_sim.quickstart import FAST_OVERRIDES, QuickstartConfig


def parse(*flags: str) -> QuickstartConfig:
    return parse_cli(QuickstartConfig, list(flags), defaults=QuickstartConfig().to_dict())


def test_policy_flags_adjust_the_default_policy():
    cfg = parse("--policy.chunk_size=10", "--policy.n_action_steps=1")
    default = QuickstartConfig().policy
    assert cfg.policy.type == "act" and cfg.policy.chunk_size == 10
    assert cfg.policy.dim_model == default.dim_model == 128
    assert cfg.policy.temporal_ensemble_coeff == default.temporal_ensemble_coeff
    assert set(cfg.policy.input_features) == {
        "observation.state",
        "observation.environment_state",
    }


def test_env_flags_keep_the_other_env_defaults():
    cfg = parse("--env.task=push", "--steps=10")
    assert cfg.env.task == "push" and cfg.steps == 10
    assert cfg.env.cameras == ["front"] and cfg.env.image_height == 96


def test_fast_overrides_are_small():
    assert FAST_OVERRIDES["steps"] < QuickstartConfig().steps
    assert FAST_OVERRIDES["episodes"] < QuickstartConfig().episodes
