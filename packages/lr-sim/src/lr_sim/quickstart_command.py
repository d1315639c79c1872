"""The ``lr quickstart`` command (cheap to import; the pipeline loads when it runs)."""

from __future__ import annotations

from lr_core.cli import Command

command = Command(
    help="the main job: sim demos -> dataset -> ACT training -> evaluation -> HTML report "
    "(--fast: a quick smoke run)",
    run="lr_sim.quickstart:main",
)
