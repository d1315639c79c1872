"""``lr eval``: parse flags into an :class:`EvalRunConfig`, evaluate, print the summary."""

from __future__ import annotations

from lr_core.config import parse_cli
from lr_policies.eval.config import EvalRunConfig


def main(argv: list[str]) -> int:
    """``lr eval --policy.path=DIR --env.type=NAME --eval.n_episodes=N --eval.batch_size=B``."""
    cfg = parse_cli(EvalRunConfig, argv, prog="lr eval")
    from lr_policies.eval.rollout import evaluate

    report = evaluate(cfg)
    agg = report["aggregated"]
    low, high = agg["pc_success_ci95"]
    print(
        f"lr eval: {agg['n_success']}/{agg['n_episodes']} successes = {agg['pc_success']:.1f}% "
        f"(95% CI {low:.1f}-{high:.1f}%), mean return {agg['avg_sum_reward']:.3f}, "
        f"{agg['eval_s']:.1f} s; report in {cfg.resolved_output_dir()}"
    )
    return 0
