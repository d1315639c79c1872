"""The bus-level steps of calibration: range-of-motion recording and the Enter key.

The full procedure (LeRobot's, kept identical so calibration files are interchangeable):
disable torque, put the arm in the middle of its range, ``bus.set_half_turn_homings()``, move
every joint through its range with ``bus.record_ranges_of_motion()``, then
``bus.write_calibration(...)`` and save with :func:`lr_core.motors.save_calibration`.
:func:`calibrate` runs those steps for a robot driver.
"""

from __future__ import annotations

import select
import sys
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from lr_core.errors import CalibrationError
from lr_core.motors import Calibration, MotorCalibration

if TYPE_CHECKING:
    from lr_motors.bus import SerialBus

UpdateFn = Callable[[dict[str, int], dict[str, int], dict[str, int]], None]


def enter_pressed() -> bool:
    """Whether a line is waiting on stdin (the user pressed Enter); consumes it."""
    if sys.stdin is None or sys.stdin.closed:
        return False
    if select.select([sys.stdin], [], [], 0)[0]:
        sys.stdin.readline()
        return True
    return False


def record_ranges(
    bus: SerialBus,
    motors: Sequence[str],
    stop: Callable[[], bool],
    on_update: UpdateFn | None = None,
    poll_s: float = 0.02,
) -> tuple[dict[str, int], dict[str, int]]:
    """Poll ``Present_Position`` (raw) until ``stop()``; return ``(mins, maxes)``."""
    start = bus.sync_read("Present_Position", motors, normalize=False, num_retry=5)
    mins = {m: int(v) for m, v in start.items()}
    maxes = dict(mins)
    while True:
        positions = {
            m: int(v)
            for m, v in bus.sync_read(
                "Present_Position", motors, normalize=False, num_retry=5
            ).items()
        }
        for m, v in positions.items():
            mins[m] = min(mins[m], v)
            maxes[m] = max(maxes[m], v)
        if on_update is not None:
            on_update(mins, positions, maxes)
        if stop():
            break
        time.sleep(poll_s)
    still = [m for m in motors if mins[m] == maxes[m]]
    if still:
        raise CalibrationError(
            f"these motors did not move while recording ranges: {', '.join(still)}; move each "
            "joint through its whole range before pressing Enter"
        )
    return mins, maxes


def print_table(mins: dict[str, int], positions: dict[str, int], maxes: dict[str, int]) -> None:
    """A live ``NAME | MIN | POS | MAX`` table on stdout (redrawn in place)."""
    lines = [f"{'NAME':<15} | {'MIN':>6} | {'POS':>6} | {'MAX':>6}"]
    lines += [f"{m:<15} | {mins[m]:>6} | {positions[m]:>6} | {maxes[m]:>6}" for m in positions]
    sys.stdout.write("\n".join(lines) + "\n" + f"\x1b[{len(lines)}A")
    sys.stdout.flush()


def calibrate(
    bus: SerialBus,
    *,
    full_turn_motors: Sequence[str] = (),
    drive_modes: dict[str, int] | None = None,
    prompt: Callable[[str], str] = input,
    stop: Callable[[], bool] | None = None,
    on_update: UpdateFn | None = print_table,
) -> Calibration:
    """Interactive calibration of every motor of ``bus``, as LeRobot's arms do it.

    Disables torque, asks (through ``prompt``) for the arm to be put mid-range, writes half-turn
    homings, records ranges until ``stop()`` (default: Enter), gives ``full_turn_motors`` the
    whole encoder range, writes the result to the motors and returns it (not yet saved).
    """
    bus.disable_torque()
    prompt("Move the arm to the middle of its range of motion and press ENTER...")
    offsets = bus.set_half_turn_homings()
    recorded = [m for m in bus.motors if m not in full_turn_motors]
    prompt(
        "Move every joint except "
        + (", ".join(full_turn_motors) or "none")
        + " through its entire range of motion; press ENTER to stop recording..."
    )
    mins, maxes = bus.record_ranges_of_motion(recorded, stop=stop, on_update=on_update)
    calibration: Calibration = {}
    for name, motor in bus.motors.items():
        res = bus.model_resolution_table[motor.model]
        lo, hi = (0, res - 1) if name in full_turn_motors else (mins[name], maxes[name])
        calibration[name] = MotorCalibration(
            id=motor.id,
            drive_mode=(drive_modes or {}).get(name, 0),
            homing_offset=offsets[name],
            range_min=lo,
            range_max=hi,
        )
    bus.write_calibration(calibration)
    return calibration
