"""The ``lr`` subcommands lr-motors contributes (``lr.commands`` entry points); cheap to import."""

from __future__ import annotations

from lr_core.cli import Command, CommandGroup

find_port = Command(
    help="find the serial port of a motors board (unplug/replug detection, or --list_only=true)",
    run="lr_motors.cli:find_port_main",
)

setup_motors = Command(
    help="give each servo of an arm its id and baud rate, one at a time (--robot=so101 --port=…)",
    run="lr_motors.cli:setup_motors_main",
)

motors = CommandGroup(
    help="servo tools: a protocol-level emulator and a port scanner",
    commands={
        "emulate": Command(
            help="emulate an arm's servos on a pseudo-terminal (--robot=so101 --side=follower)",
            run="lr_motors.cli:emulate_main",
        ),
        "scan": Command(
            help="list the servo ids answering on a port at every baud rate (--port=…)",
            run="lr_motors.cli:scan_main",
        ),
    },
)
