"""Safety of the control loops: goal clamps, stop signals and a shutdown that leaves arms safe.

- :func:`ensure_safe_goal_position` caps each step's motion (``max_relative_target``), with
  LeRobot's name and arithmetic; :func:`clamp_to_limits` keeps goals in the calibrated range.
- :func:`stop_signals` turns SIGTERM and SIGHUP into :class:`Stopped` (a ``KeyboardInterrupt``),
  so a loop stopped by a service manager or a closed terminal unwinds exactly like Ctrl-C.
- :func:`shutdown` disconnects devices with those signals deferred, trying every device even
  when one fails, so a second Ctrl-C cannot cut the torque-off short.
"""

from __future__ import annotations

import logging
import math
import signal
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pprint import pformat
from typing import Any

from lr_core.errors import ConfigError, FeatureError

logger = logging.getLogger(__name__)

#: the signals that stop a loop as Ctrl-C does
STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


class Stopped(KeyboardInterrupt):
    """A loop was stopped by a signal (``args[0]`` is its name, e.g. ``"SIGTERM"``)."""


def check_max_relative_target(
    max_relative_target: float | Mapping[str, float] | None, motors: list[str], where: str
) -> None:
    """Refuse non-positive caps and per-motor caps that do not name exactly ``motors``."""
    if max_relative_target is None:
        return
    if isinstance(max_relative_target, Mapping):
        missing = sorted(set(motors) - set(max_relative_target))
        extra = sorted(set(max_relative_target) - set(motors))
        if missing or extra:
            raise ConfigError(
                f"{where}.max_relative_target must give every motor a cap: missing {missing}, "
                f"unknown {extra} (motors: {', '.join(motors)}), or give one number for all"
            )
        values = dict(max_relative_target)
    else:
        values = {"(all)": float(max_relative_target)}
    bad = {k: v for k, v in values.items() if not (v > 0 and math.isfinite(v))}
    if bad:
        raise ConfigError(f"{where}.max_relative_target must be positive and finite: {bad}")


def ensure_safe_goal_position(
    goal_present_pos: Mapping[str, tuple[float, float]],
    max_relative_target: float | Mapping[str, float],
) -> dict[str, float]:
    """Cap each goal to ``present ± max_relative_target`` (LeRobot's function, same numbers).

    ``goal_present_pos`` maps motor → ``(goal, present)`` in normalised units; a per-motor cap
    must name each motor given. Clamped motors are logged at warning level.
    """
    if isinstance(max_relative_target, Mapping):
        missing = set(goal_present_pos) - set(max_relative_target)
        if missing:
            raise ConfigError(f"max_relative_target has no cap for {sorted(missing)}")
        caps = dict(max_relative_target)
    else:
        caps = dict.fromkeys(goal_present_pos, float(max_relative_target))
    safe: dict[str, float] = {}
    clamped = {}
    for key, (goal, present) in goal_present_pos.items():
        cap = caps[key]
        safe_goal = present + max(-cap, min(cap, goal - present))
        safe[key] = safe_goal
        if abs(safe_goal - goal) > 1e-4:
            clamped[key] = {"original goal_pos": goal, "safe goal_pos": safe_goal}
    if clamped:
        logger.warning(
            "Relative goal position magnitude had to be clamped to be safe.\n%s",
            pformat(clamped, indent=4),
        )
    return safe


def clamp_to_limits(
    goals: Mapping[str, float], limits: Mapping[str, tuple[float, float]]
) -> dict[str, float]:
    """Each goal clamped to its motor's ``(lowest, highest)`` limits."""
    return {m: min(limits[m][1], max(limits[m][0], v)) for m, v in goals.items()}


def goals_from_action(action: Mapping[str, Any], motors: Mapping[str, object], where: str
                      ) -> dict[str, float]:  # fmt: skip
    """``{motor: goal}`` from an action's ``"<motor>.pos"`` keys (other keys are ignored, as
    LeRobot does). Raises :class:`~lr_core.errors.FeatureError` for an unknown motor or a value
    that is not a finite number, naming the key."""
    goals: dict[str, float] = {}
    for key, value in action.items():
        if not key.endswith(".pos"):
            continue
        motor = key.removesuffix(".pos")
        if motor not in motors:
            raise FeatureError(
                f"{where}: action key {key!r} names no motor; valid keys: "
                + ", ".join(f"{m}.pos" for m in motors)
            )
        try:
            goal = float(value)
        except (TypeError, ValueError):
            raise FeatureError(f"{where}: action {key!r} is {value!r}, not a number") from None
        if not math.isfinite(goal):
            raise FeatureError(f"{where}: action {key!r} is {goal}; refusing to send it")
        goals[motor] = goal
    return goals


@contextmanager
def stop_signals() -> Iterator[None]:
    """Within the block, SIGTERM and SIGHUP raise :class:`Stopped` in the main thread."""

    def handler(signum: int, frame: object) -> None:
        raise Stopped(signal.Signals(signum).name)

    previous = {sig: signal.signal(sig, handler) for sig in STOP_SIGNALS}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


@contextmanager
def deferred_signals() -> Iterator[list[str]]:
    """Within the block, Ctrl-C, SIGTERM and SIGHUP are noted (in the yielded list), not
    raised: the cleanup they would interrupt is the one that makes the arm safe."""
    noted: list[str] = []

    def handler(signum: int, frame: object) -> None:
        noted.append(signal.Signals(signum).name)
        logger.warning("%s received while making the devices safe; finishing first",
                       signal.Signals(signum).name)  # fmt: skip

    sigs = (signal.SIGINT, *STOP_SIGNALS)
    previous = {sig: signal.signal(sig, handler) for sig in sigs}
    try:
        yield noted
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def shutdown(*devices: Any) -> list[BaseException]:
    """Disconnect each device (robots: torque off, or hold when configured), with stop signals
    deferred; every device is tried, even one only partly connected (its port open but a
    camera failed). Returns the errors met, in order; "not connected" is not an error here."""
    from lr_core.errors import DeviceNotConnectedError

    errors: list[BaseException] = []
    with deferred_signals():
        for device in devices:
            if device is None:
                continue
            try:
                device.disconnect()
            except DeviceNotConnectedError:
                continue
            except Exception as exc:
                logger.error("could not disconnect %s safely: %s", device, exc)
                errors.append(exc)
    return errors
