"""Frame times: the float32 ``timestamp`` column and the exact times video frames are at.

The format stores ``timestamp`` as float32 seconds, ``frame_index / fps`` for every frame LeRobot
and lr write. float32 has 24 significant bits, so from 2048 s on (34 min; earlier at odd fps)
the stored value is up to 1.2e-4 s away from the true time, more than the readers' default
``tolerance_s`` of 1e-4 s; from about ``2**22 / fps`` s on (70 min at 1000 fps) it may be
nearer the neighbouring frame's time, and later consecutive frames round to the same float32.
A reader that turns the stored value straight into a video time therefore rejects, or returns
the wrong frame of, a long episode.

lr never uses the rounded value where the exact one is known: a row whose stored timestamp is
the float32 of ``frame_index / fps`` (every frame recorded at a constant rate) is at exactly
``frame_index / fps`` in float64 (:func:`frame_times`). A row with some other timestamp (a
dataset recorded with explicit times) keeps its stored value, and the tolerance it is checked
with grows by half a float32 spacing at that time (:func:`float32_slack`), the rounding the
format itself introduced.
"""

from __future__ import annotations

import numpy as np

#: dtype of the ``timestamp`` column (LeRobot's ``datasets.Value("float32")``).
TIMESTAMP_DTYPE = np.float32


def frame_times(
    timestamp: np.ndarray, frame_index: np.ndarray, fps: int
) -> tuple[np.ndarray, np.ndarray]:
    """float64 times within the episode of rows with these stored ``timestamp`` and
    ``frame_index`` values, and the slack each needs on top of ``tolerance_s``.

    Returns ``(times_s, slack_s)``: ``frame_index / fps`` and 0 where the stored timestamp is
    that value rounded to float32; the stored value and half its float32 spacing elsewhere.
    """
    stored = np.asarray(timestamp)
    exact = np.asarray(frame_index, dtype=np.float64) / fps
    constant_rate = stored.astype(TIMESTAMP_DTYPE) == exact.astype(TIMESTAMP_DTYPE)
    times = np.where(constant_rate, exact, stored.astype(np.float64))
    slack = np.where(constant_rate, 0.0, float32_slack(stored))
    return times, slack


def float32_slack(t: np.ndarray | float) -> np.ndarray:
    """Half the float32 spacing at ``t`` (s): how far a float32 time may be from the true one."""
    return np.spacing(np.abs(np.asarray(t, dtype=TIMESTAMP_DTYPE))).astype(np.float64) / 2


def is_frame_time(timestamp: float, frame_index: int, fps: int, tolerance_s: float = 1e-4) -> bool:
    """Whether ``timestamp`` means frame ``frame_index`` at ``fps``: within ``tolerance_s`` of
    ``frame_index / fps``, or that value rounded to float32 (what a caller passing the stored
    column back, or computing in float32, gives)."""
    exact = frame_index / fps
    if abs(timestamp - exact) <= tolerance_s:
        return True
    return bool(TIMESTAMP_DTYPE(timestamp) == TIMESTAMP_DTYPE(exact))
