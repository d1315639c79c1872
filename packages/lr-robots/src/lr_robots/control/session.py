"""Run a control session so that arms end safe whatever stops it.

:func:`run_safely` connects the devices, runs the loop with SIGTERM/SIGHUP turned into
:class:`~lr_robots.control.safety.Stopped`, and then, on a normal end, an exception, Ctrl-C or a
signal, disconnects the robots first (torque off, or hold when configured) and the
teleoperators after, with further signals deferred until that is done.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from lr_robots.control.safety import shutdown, stop_signals
from lr_robots.servo_device import renamed

logger = logging.getLogger(__name__)


def safe_state(robot: Any) -> str:
    """What a robot is left doing after :func:`shutdown`, for the user."""
    arms = getattr(robot, "arms", None)
    if arms:
        return "; ".join(safe_state(arm) for arm in arms)
    config = getattr(robot, "config", None)
    holds = config is not None and getattr(config, "disable_torque_on_disconnect", True) is False
    name = getattr(robot, "label", None) or str(robot)
    if getattr(robot, "bus", None) is None:
        return f"{name}: disconnected"
    if holds:
        return f"{name}: holding its position (disable_torque_on_disconnect=false)"
    return f"{name}: torque disabled on every motor that answered"


def run_safely(
    robots: Sequence[Any],
    teleoperators: Sequence[Any],
    body: Callable[[], None],
    *,
    connect: bool = True,
) -> str | None:
    """Connect ``teleoperators`` then ``robots`` (when ``connect``), run ``body``, shut down.

    Returns ``None`` when ``body`` returned, or the name of what stopped it (``"Ctrl-C"``,
    ``"SIGTERM"``, ``"SIGHUP"``). An error from connecting or from ``body`` is raised after
    the shutdown, its message ending with the state each robot was left in; errors of the
    shutdown itself are logged and, when nothing else failed, raised.
    """
    stopped: str | None = None
    failure: BaseException | None = None
    with stop_signals():
        try:
            if connect:
                for device in [*teleoperators, *robots]:
                    device.connect()
            body()
        except KeyboardInterrupt as exc:
            stopped = exc.args[0] if exc.args else "Ctrl-C"
        except Exception as exc:
            failure = exc
        finally:
            errors = shutdown(*robots, *teleoperators)
    states = "; ".join(safe_state(r) for r in robots)
    if failure is not None:
        for extra in errors:
            logger.error("during the shutdown after the error: %s", extra)
        raise renamed(failure, f"{failure}\n{states}") from failure
    if errors:
        raise renamed(errors[0], f"{errors[0]}\n{states}") from errors[0]
    if stopped:
        logger.info("stopped by %s; %s", stopped, states)
    return stopped
