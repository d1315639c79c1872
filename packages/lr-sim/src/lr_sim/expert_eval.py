"""``lr sim expert``: run an env's scripted expert over seeds and report its success rate.

lr sim expert --env.type=so101 --env.task=push --episodes 100
"""

from __future__ import annotations

import time
from typing import Any

from pydantic import Field

from lr_core.config import LrConfig, parse_cli
from lr_core.env import EnvConfig
from lr_core.registry import load_object
from lr_core.success_rate import wilson_interval
from lr_sim.configs import SO101EnvConfig


class ExpertEvalConfig(LrConfig):
    """Options of ``lr sim expert``: the env, how many episodes, the first seed."""

    env: EnvConfig = SO101EnvConfig()
    """The simulated environment: --env.type=NAME and its fields."""
    episodes: int = Field(default=20, gt=0)
    """Episodes to run."""
    seed: int = 0
    """Episode i is reset with seed + i."""


def evaluate_expert(config: ExpertEvalConfig) -> dict[str, Any]:
    """Success count, rate, 95% interval and mean steps to success of the expert."""
    from lr_sim.factory import make_env

    env_config = config.env.model_copy(update={"cameras": []})
    env = make_env(env_config)
    expert = load_object(type(env_config).expert)(env)
    successes, steps_to_success = 0, []
    start = time.perf_counter()
    try:
        for i in range(config.episodes):
            env.reset(seed=config.seed + i)
            expert.reset()
            for step in range(1, env_config.episode_length + 1):
                _, _, terminated, truncated, info = env.step(expert.act())
                if info["is_success"]:
                    successes += 1
                    steps_to_success.append(step)
                    break
                if terminated or truncated:
                    break
    finally:
        env.close()
    low, high = wilson_interval(successes, config.episodes)
    return {
        "successes": successes,
        "episodes": config.episodes,
        "success_rate": successes / config.episodes,
        "ci95": (low, high),
        "mean_steps_to_success": sum(steps_to_success) / max(len(steps_to_success), 1),
        "seconds": time.perf_counter() - start,
    }


def main(argv: list[str]) -> int:
    """``lr sim expert`` entry point; a task set (``MT10``) is evaluated task by task."""
    config = parse_cli(ExpertEvalConfig, argv, prog="lr sim expert")
    expand = getattr(config.env, "expand", None)
    env_configs = expand() if callable(expand) else [config.env]
    total = n = 0
    for env_config in env_configs:
        r = evaluate_expert(config.model_copy(update={"env": env_config}))
        total, n = total + r["successes"], n + r["episodes"]
        print(
            f"{env_config.type} {env_config.task}: {r['successes']}/{r['episodes']} "
            f"({r['success_rate']:.0%}, 95% CI {r['ci95'][0]:.0%}-{r['ci95'][1]:.0%}), "
            f"{r['mean_steps_to_success']:.0f} steps to success on average, {r['seconds']:.1f} s",
            flush=True,
        )
    if len(env_configs) > 1:
        low, high = wilson_interval(total, n)
        print(f"overall: {total}/{n} ({total / n:.0%}, 95% CI {low:.0%}-{high:.0%})")
    return 0
