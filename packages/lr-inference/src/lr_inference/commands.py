"""The ``lr serve``, ``lr client`` and ``lr keys`` subcommands (cheap to import)."""

from __future__ import annotations

import logging
import os

from lr_core.cli import Command, CommandGroup

serve = Command(
    help="Serve policies to robot clients over ZeroMQ (async inference; CurveZMQ with keys)",
    run="lr_inference.server.cli:main",
)

client = Command(
    help="Run a robot from a remote policy server (async or sync; no torch needed)",
    run="lr_inference.client_cli:main",
)

keys = CommandGroup(
    help="CurveZMQ key pairs for lr serve and lr client",
    commands={
        "generate": Command(
            help="Write a new key pair: <name>.key (public) and <name>.key_secret (0600)",
            run="lr_inference.keys:generate_main",
        )
    },
)


def setup_logging() -> None:
    """Log to stderr at ``$LR_LOG_LEVEL`` (default INFO) unless logging is configured."""
    logging.basicConfig(
        level=os.environ.get("LR_LOG_LEVEL", "INFO").upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
