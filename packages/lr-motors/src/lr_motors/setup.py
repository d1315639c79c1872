"""``lr setup-motors``: give each servo of an arm its id and the bus baud rate, one at a time.

New servos all leave the factory with id 1, so they are set up one by one with only that
servo connected to the board, gripper first (LeRobot's order). Prompts go through
``input_fn`` so tests and GUIs can drive the flow.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from lr_motors.bus import SerialBus


def setup_motors(
    bus: SerialBus,
    input_fn: Callable[[str], str] = input,
    print_fn: Callable[[str], None] = print,
    order: Sequence[str] | None = None,
) -> None:
    """For each motor of ``bus`` in ``order`` (default: the bus order reversed): prompt, find
    it at any baud rate, set it."""
    for name in order if order is not None else reversed(list(bus.motors)):
        motor = bus.motors[name]
        input_fn(
            f"Connect the controller board to the '{name}' motor only (model {motor.model}) "
            "and press Enter."
        )
        bus.setup_motor(name)
        print_fn(f"'{name}' motor id set to {motor.id} at {bus.default_baudrate} bps.")
    print_fn("All motors are set up. Daisy-chain them and connect the board to the chain.")
