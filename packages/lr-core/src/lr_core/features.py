"""Feature specifications: what one column of a dataset, or one policy input, holds.

A :class:`FeatureSpec` is one entry of the ``features`` block of a LeRobotDataset v3.0
``meta/info.json``::

    "observation.state": {"dtype": "float32", "shape": [6], "names": ["shoulder_pan.pos", ...]}
    "observation.images.front": {"dtype": "video", "shape": [480, 640, 3],
                                 "names": ["height", "width", "channels"], "info": {...}}

``FeatureSpec.from_json(d).to_json() == d`` for every entry LeRobot writes (unknown keys, such as
the ``fps`` that LeRobot's v2.1→v3.0 converter adds, are kept). The *kind* of a feature (state,
action, visual, env, reward, language) is not stored in the file; :func:`feature_type` derives it
from the key and dtype exactly as LeRobot's ``dataset_to_policy_features`` does.
"""

from __future__ import annotations

import copy
import json
from collections.abc import ItemsView, Iterator, KeysView, Mapping, ValuesView
from enum import StrEnum
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from lr_core.errors import FeatureError

#: dtypes that are not numpy dtypes.
SPECIAL_DTYPES = frozenset({"image", "video", "string", "language"})
#: dtypes stored as images/videos (HWC on disk, CHW for policies).
VISUAL_DTYPES = frozenset({"image", "video"})


class FeatureType(StrEnum):
    """The role of a feature for a policy; values match LeRobot's ``FeatureType`` names."""

    STATE = "STATE"
    VISUAL = "VISUAL"
    ENV = "ENV"
    ACTION = "ACTION"
    REWARD = "REWARD"
    LANGUAGE = "LANGUAGE"


class FeatureSpec(BaseModel):
    """One feature: ``dtype``, ``shape``, optional ``names`` and ``info``.

    - ``dtype``: a numpy dtype name (``"float32"``, ``"int64"``, ``"bool"``...) or one of
      ``"image"``, ``"video"`` (uint8 HWC frames), ``"string"``, ``"language"``.
    - ``shape``: a tuple of positive ints; images and videos are ``(H, W, C)``.
    - ``names``: per-dimension names (``["x", "y"]``), axis names for images
      (``["height", "width", "channels"]``), a dict of those, or ``None``.
    - ``info``: free-form metadata, for videos the encoder settings (``video.codec``...).
    """

    # Files written by other tools may carry extra keys; keep them so a round trip is lossless.
    model_config = ConfigDict(extra="allow", frozen=True)

    dtype: str
    shape: tuple[int, ...]
    names: list[Any] | dict[str, Any] | None = None
    info: dict[str, Any] | None = None

    @field_validator("dtype")
    @classmethod
    def _check_dtype(cls, value: str) -> str:
        if value in SPECIAL_DTYPES:
            return value
        try:
            np.dtype(value)
        except TypeError as exc:
            raise ValueError(
                f"dtype {value!r} is neither a numpy dtype nor one of {sorted(SPECIAL_DTYPES)}"
            ) from exc
        return value

    @field_validator("shape")
    @classmethod
    def _check_shape(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if any(d < 0 for d in value):
            raise ValueError(f"shape {list(value)} has a negative dimension")
        return value

    @model_validator(mode="after")
    def _check_consistency(self) -> FeatureSpec:
        if self.dtype in VISUAL_DTYPES and len(self.shape) != 3:
            raise ValueError(
                f"a {self.dtype} feature needs a 3-D shape (height, width, channels), "
                f"got {list(self.shape)}"
            )
        names = self.names
        if (
            isinstance(names, list)
            and len(self.shape) == 1
            and all(isinstance(n, str) for n in names)
            and len(names) != self.shape[0]
        ):
            raise ValueError(
                f"names has {len(names)} entries but shape is {list(self.shape)}: "
                f"give one name per dimension"
            )
        return self

    @property
    def is_visual(self) -> bool:
        """True for ``image`` and ``video`` features."""
        return self.dtype in VISUAL_DTYPES

    @property
    def numpy_dtype(self) -> np.dtype:
        """The numpy dtype of one value (``uint8`` for images and videos)."""
        if self.is_visual:
            return np.dtype(np.uint8)
        if self.dtype in ("string", "language"):
            return np.dtype(object)
        return np.dtype(self.dtype)

    @property
    def channels_first_shape(self) -> tuple[int, ...]:
        """The shape a policy sees: ``(C, H, W)`` for images stored HWC, else ``shape``."""
        if self.is_visual and _is_channels_last(self):
            h, w, c = self.shape
            return (c, h, w)
        return self.shape

    @classmethod
    def from_json(cls, data: Mapping[str, Any], *, key: str = "<feature>") -> FeatureSpec:
        """Build a spec from its ``info.json`` form; errors name ``key``."""
        try:
            return cls.model_validate(dict(data))
        except ValueError as exc:
            raise FeatureError(f"feature {key!r} is invalid: {exc}") from exc

    def to_json(self) -> dict[str, Any]:
        """The ``info.json`` form: ``dtype``, ``shape`` (a list), ``names``, ``info``, extras."""
        out: dict[str, Any] = {"dtype": self.dtype, "shape": list(self.shape), "names": self.names}
        if self.info is not None or "info" in self.model_fields_set:
            out["info"] = self.info
        if self.model_extra:
            out.update(self.model_extra)
        return out

    # ------------------------------------------------------------------ LeRobot's dict access
    # Code written for LeRobot reads a feature as the dict LeRobot loads from info.json
    # (``ft["shape"]`` a tuple, ``ft.get("info")``, ``"info" in ft``, ``for k, v in ft.items()``,
    # ``{**ft}``, ``dict(ft)``, ``ft == {...}``). A spec answers the same way; it stays immutable
    # (``ft["names"] = ...`` is a TypeError naming ``model_copy``), values are copies, and
    # ``isinstance(ft, dict)`` is False (``dict(ft)`` or ``ft.to_json()`` give a real dict).

    def _as_dict(self) -> dict[str, Any]:
        out = self.to_json()
        out["shape"] = tuple(self.shape)
        return out

    def __getitem__(self, key: str) -> Any:
        values = self._as_dict()
        if key not in values:
            raise KeyError(key)
        return copy.deepcopy(values[key])

    def get(self, key: str, default: Any = None) -> Any:
        """``ft.get("names")``, as on LeRobot's feature dicts."""
        values = self._as_dict()
        return copy.deepcopy(values[key]) if key in values else default

    def keys(self) -> KeysView[str]:
        """``dtype``, ``shape``, ``names``, then ``info`` and extra keys where the file has them."""
        return self._as_dict().keys()

    def values(self) -> ValuesView[Any]:
        """The values of :meth:`keys` (copies)."""
        return copy.deepcopy(self._as_dict()).values()

    def items(self) -> ItemsView[str, Any]:
        """``(key, value)`` pairs of :meth:`keys` (copies of the values)."""
        return copy.deepcopy(self._as_dict()).items()

    def __contains__(self, key: object) -> bool:
        return key in self._as_dict()

    def __iter__(self) -> Iterator[str]:  # type: ignore[override]
        return iter(self._as_dict())

    def __len__(self) -> int:
        return len(self._as_dict())

    def __setitem__(self, key: str, value: Any) -> None:
        raise TypeError(
            f"FeatureSpec is immutable: use spec.model_copy(update={{{key!r}: ...}}) for a "
            f"changed copy, or dict(spec) for a plain dict"
        )

    def __eq__(self, other: object) -> bool:
        if isinstance(other, BaseModel):
            return super().__eq__(other)
        if isinstance(other, Mapping):
            theirs = dict(other)
            if isinstance(theirs.get("shape"), list):
                theirs["shape"] = tuple(theirs["shape"])
            return self._as_dict() == theirs
        return NotImplemented

    def __hash__(self) -> int:
        return hash(json.dumps(self.to_json(), sort_keys=True, default=str))


def _is_channels_last(spec: FeatureSpec) -> bool:
    """LeRobot's rule: an image is HWC when names[2] is "channel(s)", or when C ≤ 4 < H, W."""
    names = spec.names
    if isinstance(names, list) and len(names) == 3 and isinstance(names[2], str):
        return names[2] in ("channel", "channels")
    return spec.shape[2] <= 4 < min(spec.shape[0], spec.shape[1])


Features = dict[str, FeatureSpec]

#: The five bookkeeping columns every dataset has, in LeRobot's order.
DEFAULT_FEATURES: dict[str, FeatureSpec] = {
    "timestamp": FeatureSpec(dtype="float32", shape=(1,), names=None),
    "frame_index": FeatureSpec(dtype="int64", shape=(1,), names=None),
    "episode_index": FeatureSpec(dtype="int64", shape=(1,), names=None),
    "index": FeatureSpec(dtype="int64", shape=(1,), names=None),
    "task_index": FeatureSpec(dtype="int64", shape=(1,), names=None),
}


def features_from_json(data: Mapping[str, Mapping[str, Any]]) -> Features:
    """Parse a whole ``features`` block; keys may not contain ``/`` (LeRobot's stats separator)."""
    out: Features = {}
    for key, value in data.items():
        check_feature_key(key)
        out[key] = FeatureSpec.from_json(value, key=key)
    return out


def features_to_json(features: Mapping[str, FeatureSpec]) -> dict[str, dict[str, Any]]:
    """Serialise a ``features`` block (key order kept)."""
    return {key: spec.to_json() for key, spec in features.items()}


def check_feature_key(key: str) -> None:
    """Raise :class:`FeatureError` if ``key`` cannot be a feature name."""
    if not key or "/" in key:
        raise FeatureError(
            f"feature name {key!r} is invalid: it must be non-empty and must not contain '/'"
        )


def feature_type(key: str, spec: FeatureSpec) -> FeatureType | None:
    """The policy role of a feature, or ``None`` for bookkeeping columns (``index``...)."""
    if spec.dtype == "language":
        return FeatureType.LANGUAGE
    if spec.is_visual:
        return FeatureType.VISUAL
    if key == "observation.environment_state":
        return FeatureType.ENV
    if key.startswith("observation"):
        return None if spec.dtype == "string" else FeatureType.STATE
    if key.startswith("action"):
        return FeatureType.ACTION
    if key in ("next.reward", "reward"):
        return FeatureType.REWARD
    return None


class PolicyFeature(BaseModel):
    """A feature as a policy sees it: its role and its (channels-first) shape.

    Serialises as ``{"type": "STATE", "shape": [6]}``, the form LeRobot writes into a policy's
    ``config.json`` under ``input_features`` / ``output_features``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: FeatureType
    shape: tuple[int, ...]


def dataset_to_policy_features(features: Mapping[str, FeatureSpec]) -> dict[str, PolicyFeature]:
    """Map dataset features to policy features as LeRobot does.

    Images/videos become ``VISUAL`` with a CHW shape; ``observation.environment_state`` becomes
    ``ENV``; other ``observation*`` keys ``STATE``; ``action*`` keys ``ACTION``; everything else
    (bookkeeping columns, rewards, strings) is left out.
    """
    out: dict[str, PolicyFeature] = {}
    for key, spec in features.items():
        kind = feature_type(key, spec)
        if kind in (FeatureType.VISUAL, FeatureType.ENV, FeatureType.STATE, FeatureType.ACTION):
            out[key] = PolicyFeature(type=kind, shape=spec.channels_first_shape)
    return out


#: What robots declare per observation/action key: ``float`` for a scalar, ``(H, W, C)`` for a
#: camera image.
HardwareFeatures = Mapping[str, type | tuple[int, ...]]


def hw_to_dataset_features(
    hw_features: HardwareFeatures, prefix: str, *, use_video: bool = True
) -> Features:
    """Turn a robot's ``observation_features`` / ``action_features`` into dataset features.

    Scalars are gathered, in order, into one float32 vector (``action`` or
    ``observation.state``) whose names are the hardware keys; camera entries (shape tuples)
    become ``observation.images.<cam>`` video (or image) features. Matches LeRobot's function of
    the same name, so datasets recorded by either have identical ``features``.
    """
    scalars = [key for key, value in hw_features.items() if value is float or value is int]
    cameras = {key: value for key, value in hw_features.items() if isinstance(value, tuple)}
    unknown = set(hw_features) - set(scalars) - set(cameras)
    if unknown:
        raise FeatureError(
            f"hardware features {sorted(unknown)} are neither float nor an (H, W, C) tuple"
        )
    out: Features = {}
    if scalars:
        key = "action" if prefix == "action" else f"{prefix}.state"
        out[key] = FeatureSpec(dtype="float32", shape=(len(scalars),), names=scalars)
    if prefix != "action":
        for cam, shape in cameras.items():
            if len(shape) != 3 or shape[2] not in (1, 3):
                raise FeatureError(
                    f"camera {cam!r} has shape {shape}; expected (H, W, 3) for RGB "
                    f"or (H, W, 1) for depth"
                )
            out[f"{prefix}.images.{cam}"] = FeatureSpec(
                dtype="video" if use_video else "image",
                shape=tuple(int(d) for d in shape),
                names=["height", "width", "channels"],
                info={"is_depth_map": int(shape[2]) == 1},
            )
    return out
