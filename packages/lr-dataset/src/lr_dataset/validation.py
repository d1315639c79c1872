"""Checking one frame against the dataset's features before anything is buffered.

Every problem raises :class:`FrameValidationError` naming the key; the frame is checked as a
whole first, so a rejected frame leaves the episode buffer exactly as it was.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from lr_core.features import FeatureSpec, FeatureType, feature_type
from lr_dataset.errors import FrameValidationError

#: Columns filled in by the writer; a frame may carry ``timestamp`` (checked), not the others.
AUTO_KEYS = frozenset({"frame_index", "episode_index", "index", "task_index"})


def as_hwc_uint8(key: str, spec: FeatureSpec, value: Any) -> np.ndarray:
    """A camera frame as uint8 ``(H, W, C)``: accepts HWC or CHW, uint8 or float in [0, 1]."""
    if hasattr(value, "convert") and hasattr(value, "size") and not isinstance(value, np.ndarray):
        value = np.asarray(value.convert("RGB"))  # PIL image
    arr = np.asarray(value)
    h, w, c = spec.shape
    if arr.shape == (c, h, w) and arr.shape != (h, w, c):
        arr = arr.transpose(1, 2, 0)
    if arr.shape != (h, w, c):
        raise FrameValidationError(
            f"frame[{key!r}] has shape {tuple(arr.shape)}; expected {(h, w, c)} (H, W, C) or "
            f"{(c, h, w)} (C, H, W)"
        )
    if arr.dtype == np.uint8:
        return np.ascontiguousarray(arr)
    if np.issubdtype(arr.dtype, np.floating):
        if not np.isfinite(arr).all() or arr.min() < 0.0 or arr.max() > 1.0:
            raise FrameValidationError(
                f"frame[{key!r}] is a float image with values outside [0, 1] (or NaN); give "
                f"uint8 0..255 or float 0..1"
            )
        return np.ascontiguousarray((arr * 255.0).round().astype(np.uint8))
    raise FrameValidationError(
        f"frame[{key!r}] has dtype {arr.dtype}; images must be uint8 (0..255) or float (0..1)"
    )


def as_value(key: str, spec: FeatureSpec, value: Any) -> Any:
    """A numeric or string value converted to the feature's dtype and shape, or an error."""
    if spec.dtype == "string":
        if not isinstance(value, str):
            raise FrameValidationError(f"frame[{key!r}] must be a str, got {type(value).__name__}")
        return value
    if spec.dtype == "language":
        return None
    expected = np.dtype(spec.dtype)
    has_dtype = isinstance(value, np.ndarray | np.generic) or hasattr(value, "dtype")
    arr = np.asarray(value)
    if has_dtype and arr.dtype != expected:
        raise FrameValidationError(
            f"frame[{key!r}] has dtype {arr.dtype}; expected {expected} (cast it with "
            f".astype(np.{expected}))"
        )
    if not has_dtype:
        if arr.dtype == object or not np.can_cast(arr.dtype, expected, casting="same_kind"):
            raise FrameValidationError(f"frame[{key!r}] = {value!r} cannot be stored as {expected}")
        arr = arr.astype(expected)
    shape = tuple(spec.shape)
    if arr.shape != shape and not (shape == (1,) and arr.shape == ()):
        raise FrameValidationError(f"frame[{key!r}] has shape {tuple(arr.shape)}; expected {shape}")
    return arr.reshape(shape)


def validate_frame(
    frame: Mapping[str, Any],
    features: Mapping[str, FeatureSpec],
    *,
    last_timestamp: float | None,
    default_timestamp: float,
) -> tuple[dict[str, Any], str, float]:
    """Check ``frame``; return ``(values, task, timestamp)`` with values converted.

    ``frame`` holds every user feature, ``"task"`` (a non-empty str) and optionally
    ``"timestamp"`` (seconds, finite, strictly after ``last_timestamp``; default
    ``default_timestamp`` = frame_index / fps).
    """
    user_keys = [k for k in features if k not in AUTO_KEYS and k != "timestamp"]
    missing = [k for k in user_keys if k not in frame]
    if missing:
        raise FrameValidationError(
            f"frame is missing feature(s) {missing}; every frame needs all of {user_keys} "
            f"plus 'task'"
        )
    extra = [k for k in frame if k not in features and k != "task"]
    extra += [k for k in frame if k in AUTO_KEYS]
    if extra:
        raise FrameValidationError(
            f"frame has unexpected key(s) {sorted(extra)}: not declared features (the columns "
            f"frame_index, episode_index, index and task_index are filled in by the writer)"
        )
    task = frame.get("task")
    if not isinstance(task, str) or not task:
        raise FrameValidationError(
            f"frame['task'] must be a non-empty str (the task description), got {task!r}"
        )
    values: dict[str, Any] = {}
    for key in user_keys:
        spec = features[key]
        if spec.is_visual:
            values[key] = as_hwc_uint8(key, spec, frame[key])
            continue
        value = as_value(key, spec, frame[key])
        if (
            isinstance(value, np.ndarray)
            and np.issubdtype(value.dtype, np.floating)
            and feature_type(key, spec) in (FeatureType.STATE, FeatureType.ACTION, FeatureType.ENV)
            and not np.isfinite(value).all()
        ):
            bad = np.flatnonzero(~np.isfinite(value)).tolist()
            names = spec.names if isinstance(spec.names, list) else None
            where = [names[i] for i in bad] if names and len(names) == value.size else bad
            raise FrameValidationError(
                f"frame[{key!r}] contains NaN or inf at {where}; refusing to record it"
            )
        values[key] = value
    if "timestamp" in frame:
        try:
            timestamp = float(np.asarray(frame["timestamp"]).reshape(()))
        except (TypeError, ValueError) as exc:
            raise FrameValidationError(
                f"frame['timestamp'] must be a number of seconds, got {frame['timestamp']!r}"
            ) from exc
    else:
        timestamp = default_timestamp
    if not math.isfinite(timestamp) or timestamp < 0:
        raise FrameValidationError(f"frame['timestamp'] = {timestamp} is not a finite time ≥ 0")
    if last_timestamp is not None and timestamp <= last_timestamp:
        raise FrameValidationError(
            f"frame['timestamp'] = {timestamp} is not after the previous frame's "
            f"{last_timestamp}: timestamps must increase within an episode"
        )
    return values, task, timestamp
