"""The ``lr dataset`` command group (registered under the ``lr.commands`` entry point)."""

from __future__ import annotations

from lr_core.cli import CommandGroup
from lr_dataset.tools.cli import TOOL_COMMANDS

dataset = CommandGroup(
    help="inspect, edit, convert and share LeRobot v3.0 datasets",
    commands={**TOOL_COMMANDS},
)
