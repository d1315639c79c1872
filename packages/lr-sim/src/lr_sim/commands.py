"""The ``lr sim`` command group (cheap to import; the work is imported when a command runs)."""

from __future__ import annotations

from lr_core.cli import Command, CommandGroup

command = CommandGroup(
    help="simulation: record expert demonstrations, measure the scripted experts",
    commands={
        "record": Command(
            help="write a LeRobotDataset of scripted-expert episodes", run="lr_sim.record:main"
        ),
        "expert": Command(
            help="run the scripted expert and report its success rate",
            run="lr_sim.expert_eval:main",
        ),
    },
)
