"""Robot features for the handshake, and raw robot observations → what goes on the wire.

A robot reports ``{"shoulder_pan.pos": 12.5, …, "front": (H, W, 3) uint8}``
(:attr:`lr_core.robot.Robot.observation_features`). Its dataset features
(:func:`lr_core.features.hw_to_dataset_features`, the same as LeRobot's) name what a policy
reads: ``observation.state`` ``(D,)`` float32 with per-motor ``names``, and
``observation.images.<cam>`` ``(H, W, 3)``. The client sends dataset keys, one array each, and
only those the server asked for in its :class:`~lr_inference.protocol.Welcome`: the state is
gathered into one float32 vector on the robot, so the server never sees motor names.
Observations that already use dataset keys (a simulation env's) pass through.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from lr_core.errors import FeatureError
from lr_core.features import FeatureSpec, hw_to_dataset_features

IMAGES_PREFIX = "observation.images."


def robot_features(robot: Any) -> dict[str, FeatureSpec]:
    """Dataset features of a :class:`lr_core.robot.Robot`: its observation features and
    ``action`` (what the handshake sends)."""
    return {
        **hw_to_dataset_features(robot.observation_features, "observation"),
        **hw_to_dataset_features(robot.action_features, "action"),
    }


def features_of_batch(observation: Mapping[str, Any]) -> dict[str, FeatureSpec]:
    """Features of dataset-keyed batched arrays (``(B, …)``): images ``(B, H, W, C)`` uint8
    become ``video`` features, other numeric arrays float32 vectors."""
    out: dict[str, FeatureSpec] = {}
    for key, value in observation.items():
        array = np.asarray(value)
        if key.startswith(IMAGES_PREFIX):
            if array.ndim != 4 or array.dtype != np.uint8:
                raise FeatureError(
                    f"{key!r} should be a batch of (H, W, C) uint8 images, got "
                    f"{array.dtype} {list(array.shape)}"
                )
            out[key] = FeatureSpec(
                dtype="video", shape=array.shape[1:], names=["height", "width", "channels"]
            )
        elif key.startswith("observation") and np.issubdtype(array.dtype, np.number):
            out[key] = FeatureSpec(dtype="float32", shape=array.shape[1:])
    return out


class ObservationBuilder:
    """Build the wire observation for ``keys`` from raw robot values (or dataset-keyed ones).

    ``features`` are the robot's dataset features. Raises :class:`FeatureError` naming the key
    when a value is missing.
    """

    def __init__(self, features: Mapping[str, FeatureSpec], keys: list[str]) -> None:
        self.keys = list(keys)
        self._names: dict[str, list[str]] = {}
        for key in self.keys:
            spec = features.get(key)
            if spec is None:
                raise FeatureError(
                    f"the server asks for {key!r}, which this robot does not have "
                    f"(it has {sorted(features)})"
                )
            if not spec.is_visual and isinstance(spec.names, list):
                self._names[key] = [str(n) for n in spec.names]

    def __call__(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        """``{dataset key: array}`` for :attr:`keys` from one raw observation."""
        out: dict[str, Any] = {}
        for key in self.keys:
            if key in raw:
                out[key] = np.asarray(raw[key])
            elif key.startswith(IMAGES_PREFIX) and key[len(IMAGES_PREFIX) :] in raw:
                out[key] = np.asarray(raw[key[len(IMAGES_PREFIX) :]])
            elif key in self._names:
                names = self._names[key]
                try:
                    out[key] = np.array([raw[n] for n in names], dtype=np.float32)
                except KeyError as exc:
                    raise FeatureError(
                        f"the robot's observation lacks {exc.args[0]!r}, part of {key!r}"
                    ) from None
            else:
                raise FeatureError(
                    f"the robot's observation has no value for {key!r} (it has {sorted(raw)})"
                )
        return out
