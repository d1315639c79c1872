"""The ``lr train`` and ``lr eval`` subcommands (cheap to import: the work is imported on run)."""

from __future__ import annotations

from lr_core.cli import Command

train = Command(
    help="Train a policy on a LeRobot dataset (checkpoints, exact resume, DDP via torchrun)",
    run="lr_policies.train.cli:main",
)

eval = Command(
    help="Evaluate a saved policy in a registered gymnasium env (success rate, return, videos)",
    run="lr_policies.eval.cli:main",
)
