"""From a robot's flat observation / action dicts to dataset frames, and back for policies.

``build_dataset_frame`` is LeRobot's function of the same name
(``lerobot/utils/feature_utils.py``): scalars gathered into the ``observation.state`` /
``action`` vectors in the order of the feature's ``names``, camera frames under
``observation.images.<cam>``. Unlike LeRobot's (a ``KeyError`` on a missing key), a missing
value is a :class:`~lr_core.errors.FeatureError` naming the key and who should have given it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from lr_core.errors import FeatureError
from lr_core.features import FeatureSpec, hw_to_dataset_features


def dataset_features(
    action_features: Mapping[str, Any],
    observation_features: Mapping[str, Any],
    *,
    use_video: bool = True,
) -> dict[str, FeatureSpec]:
    """The features a dataset recorded from a robot holds: ``action``, ``observation.state``
    and one ``observation.images.<cam>`` per camera (video, or PNG images without video)."""
    return {
        **hw_to_dataset_features(action_features, "action", use_video=use_video),
        **hw_to_dataset_features(observation_features, "observation", use_video=use_video),
    }


def build_dataset_frame(
    features: Mapping[str, FeatureSpec], values: Mapping[str, Any], prefix: str, *, source: str
) -> dict[str, np.ndarray]:
    """The dataset entries starting with ``prefix`` (``"observation"`` or ``"action"``) from a
    robot's flat ``values``: vectors float32 ``(n,)`` in the feature's ``names`` order, camera
    frames as given (``(H, W, 3)`` uint8). ``source`` names who produced ``values`` for errors.

    Raises:
        FeatureError: a key the dataset needs is missing from ``values``.
    """
    frame: dict[str, np.ndarray] = {}
    for key, spec in features.items():
        if not key.startswith(prefix):
            continue
        if spec.dtype in ("video", "image"):
            cam = key.removeprefix(f"{prefix}.images.")
            if cam not in values:
                raise FeatureError(f"{source} gave no frame for camera {cam!r} ({key})")
            frame[key] = values[cam]
            continue
        names = list(spec.names or [])
        try:
            frame[key] = np.array([values[name] for name in names], dtype=np.float32)
        except KeyError as exc:
            raise FeatureError(
                f"{source} gave no value for {exc.args[0]!r}, which {key!r} needs "
                f"(it gave {sorted(values)})"
            ) from None
    return frame


def action_from_vector(features: Mapping[str, FeatureSpec], vector: np.ndarray) -> dict[str, float]:
    """``{name: value}`` of a policy's ``(D_action,)`` output, named by the ``action``
    feature's ``names``."""
    names = list(features["action"].names or [])
    values = np.asarray(vector, dtype=np.float64).reshape(-1)
    if values.shape[0] != len(names):
        raise FeatureError(
            f"the policy returned {values.shape[0]} action values but the robot takes "
            f"{len(names)} ({', '.join(names)})"
        )
    return {name: float(v) for name, v in zip(names, values, strict=True)}
