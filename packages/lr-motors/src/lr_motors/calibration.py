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
from lr_core.prompts import ask

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


def unwrap(previous: float, raw: int, resolution: int) -> float:
    """``raw`` ticks as the continuation of ``previous`` along the shortest arc.

    Encoders wrap at ``resolution`` (4095 → 0): a joint read at 4090 then 5 moved 11 ticks up,
    not 4085 down. ``unwrap(4090, 5, 4096) == 4101``. Polls must be less than half a turn
    apart, which hand-moved joints read every 20 ms always are.
    """
    delta = (raw - previous + resolution / 2) % resolution - resolution / 2
    return previous + delta


def record_ranges(
    bus: SerialBus,
    motors: Sequence[str],
    stop: Callable[[], bool],
    on_update: UpdateFn | None = None,
    poll_s: float = 0.02,
) -> tuple[dict[str, int], dict[str, int]]:
    """Poll ``Present_Position`` (raw) until ``stop()``; return the travelled ``(mins, maxes)``.

    Positions are unwrapped along the shortest arc, so travel across the encoder's seam
    (4095 → 0) is the real arc: its ends may lie below 0 or above ``resolution - 1`` (see
    :func:`fit_range`). Raises :class:`~lr_core.errors.CalibrationError` naming the joints that
    never moved, or that turned a full turn or more (continuous joints are declared full-turn).
    """
    res = {m: bus.model_resolution_table[bus.motors[m].model] for m in motors}
    start = bus.sync_read("Present_Position", motors, normalize=False, num_retry=5)
    track = {m: float(v) for m, v in start.items()}
    mins = {m: int(v) for m, v in start.items()}
    maxes = dict(mins)
    while True:
        raw = bus.sync_read("Present_Position", motors, normalize=False, num_retry=5)
        positions: dict[str, int] = {}
        for m, v in raw.items():
            track[m] = unwrap(track[m], int(v), res[m])
            positions[m] = int(track[m])
            mins[m] = min(mins[m], positions[m])
            maxes[m] = max(maxes[m], positions[m])
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
    turned = [m for m in motors if maxes[m] - mins[m] >= res[m] - 1]
    if turned:
        raise CalibrationError(
            f"these joints turned a full turn or more while recording ranges on {bus.port}: "
            f"{', '.join(turned)}; a joint that turns freely has no range to record: declare it "
            "a full-turn motor (range 0..resolution-1), as wrist_roll is on the SO arms"
        )
    return mins, maxes


def crosses_seam(lo: int, hi: int, resolution: int) -> bool:
    """Whether a recorded arc ``lo..hi`` (unwrapped ticks) passes the encoder's 4095 → 0 seam."""
    return lo < 0 or hi > resolution - 1


def fit_range(
    bus: SerialBus, motor: str, homing_offset: int, lo: int, hi: int
) -> tuple[int, int, int]:
    """``(homing_offset, range_min, range_max)`` that hold the recorded arc ``lo..hi``.

    An arc inside ``0..resolution-1`` is returned unchanged (LeRobot's numbers). An arc that
    crossed the seam (the joint was homed more than a quarter turn from the middle of its
    travel) cannot be written as ``Min/Max_Position_Limit``: the offset is moved so that the arc
    is centred on half a turn, and the range moves with it. Normalised values depend only on
    where a position lies within the range, so the joint reads the same either way.
    """
    res = bus.model_resolution_table[bus.motors[motor].model]
    if not crosses_seam(lo, hi, res):
        return homing_offset, lo, hi
    shift = round((lo + hi) / 2) - (res - 1) // 2
    for extra in (0, 1, -1):  # Feetech's offset register misses one value of a full turn
        d = shift + extra
        offset = bus.shifted_homing_offset(motor, homing_offset, d)
        if offset is not None and lo - d >= 0 and hi - d <= res - 1:
            return offset, lo - d, hi - d
    if "Homing_Offset" not in bus.model_ctrl_table[bus.motors[motor].model]:
        raise CalibrationError(
            f"the travel of motor {motor!r} on {bus.port} ({lo}..{hi}) crossed its encoder's "
            f"{res - 1} -> 0 seam, and a {bus.motors[motor].model} has no Homing_Offset register "
            "to move the seam away: remount the horn so the joint's travel stays within one "
            "side of it"
        )
    raise CalibrationError(
        f"the range of motor {motor!r} on {bus.port} ({hi - lo} ticks) cannot be held in one "
        f"turn of {res} ticks; declare it a full-turn motor"
    )


def print_table(mins: dict[str, int], positions: dict[str, int], maxes: dict[str, int]) -> None:
    """A live ``NAME | MIN | POS | MAX`` table on stdout (redrawn in place)."""
    lines = [f"{'NAME':<15} | {'MIN':>6} | {'POS':>6} | {'MAX':>6}"]
    lines += [f"{m:<15} | {mins[m]:>6} | {positions[m]:>6} | {maxes[m]:>6}" for m in positions]
    sys.stdout.write("\n".join(lines) + "\n" + f"\x1b[{len(lines)}A")
    sys.stdout.flush()


def _ask(question: str) -> str:
    return ask(question, "calibration", "run it in a terminal, or pass prompt= to calibrate()")


def calibrate(
    bus: SerialBus,
    *,
    full_turn_motors: Sequence[str] = (),
    drive_modes: dict[str, int] | None = None,
    prompt: Callable[[str], str] = _ask,
    stop: Callable[[], bool] | None = None,
    on_update: UpdateFn | None = print_table,
    device: str = "the arm",
    say: Callable[[str], object] = print,
) -> Calibration:
    """Interactive calibration of every motor of ``bus``, as LeRobot's arms do it.

    Disables torque, asks (through ``prompt``) for the arm to be put mid-range, writes half-turn
    homings, tells (``say``) the user to move the joints and records ranges until ``stop()``
    (default: Enter), gives ``full_turn_motors`` the
    whole encoder range, writes the result to the motors and returns it (not yet saved).
    ``device`` names the arm in the prompts. A
    joint whose travel crossed the encoder's seam gets the offset that centres its real arc
    (:func:`fit_range`) instead of a silent 0..4095.

    Raises:
        NoTerminalError: the default ``prompt`` finds standard input closed (nobody can answer).
        CalibrationError: a range that cannot be held (:func:`fit_range`).
    """
    bus.disable_torque()
    prompt(f"Move {device} to the middle of its range of motion and press ENTER...")
    offsets = bus.set_half_turn_homings()
    recorded = [m for m in bus.motors if m not in full_turn_motors]
    say(
        "Move every joint except "
        + (", ".join(full_turn_motors) or "none")
        + " through its entire range of motion.\nRecording positions. Press ENTER to stop..."
    )
    mins, maxes = record_ranges(bus, recorded, stop or enter_pressed, on_update)
    calibration: Calibration = {}
    for name, motor in bus.motors.items():
        res = bus.model_resolution_table[motor.model]
        offset = offsets[name]
        if name in full_turn_motors:
            lo, hi = 0, res - 1
        else:
            offset, lo, hi = fit_range(bus, name, offset, mins[name], maxes[name])
        calibration[name] = MotorCalibration(
            id=motor.id,
            drive_mode=(drive_modes or {}).get(name, 0),
            homing_offset=offset,
            range_min=lo,
            range_max=hi,
        )
    bus.write_calibration(calibration)
    return calibration
