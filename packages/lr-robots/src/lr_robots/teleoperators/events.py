"""Episode events a teleoperator can report beside its action (LeRobot's ``TeleopEvents``).

The members have LeRobot 0.6.1's names and values (``lerobot/teleoperators/utils.py``); as a
``StrEnum`` they also compare equal to their string values.
"""

from __future__ import annotations

from enum import StrEnum


class TeleopEvents(StrEnum):
    """Keys of the dict ``get_teleop_events()`` returns."""

    SUCCESS = "success"
    FAILURE = "failure"
    RERECORD_EPISODE = "rerecord_episode"
    IS_INTERVENTION = "is_intervention"
    TERMINATE_EPISODE = "terminate_episode"


def no_events() -> dict[TeleopEvents, bool]:
    """Every event false (LeRobot's answer while disconnected)."""
    return {
        TeleopEvents.IS_INTERVENTION: False,
        TeleopEvents.TERMINATE_EPISODE: False,
        TeleopEvents.SUCCESS: False,
        TeleopEvents.RERECORD_EPISODE: False,
    }
