"""Which feature specs lr can store: one check, run before anything is written.

``LeRobotDataset.create`` / ``resume`` (through :class:`~lr_dataset.writer.DatasetWriter`),
``add_features`` and the v2.1 converter all call :func:`check_features`, so a feature the
writer cannot store is refused up front with a :class:`~lr_dataset.errors.FeatureSpecError`
naming it, instead of failing inside pyarrow or the video encoder at ``save_episode`` after an
episode was recorded. A hint offers a storable alternative only after checking it with the same
rules (a hint never suggests a shape that would be refused in turn).

==========  ==================================================================================
dtype       storable specs
==========  ==================================================================================
numeric     ``bool``, ``int8..int64``, ``uint8..uint64``, ``float16..float64``; shape ``(n,)``
            with ``n >= 1`` (shape ``(1,)`` is a scalar column)
``image``   ``(H, W, C)``, ``H, W >= 1``, ``C`` 1 (grey or depth) or 3 (RGB): PNG bytes
``video``   ``(H, W, 3)`` that the chosen encoder accepts (``h264`` needs even sizes,
            ``libsvtav1`` at least 4 px; checked by encoding one frame of that size)
``string``  any shape (one str per frame); ``language`` is not stored in the data
==========  ==================================================================================
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

from lr_core.features import FeatureSpec, check_feature_key
from lr_dataset.errors import FeatureSpecError

if TYPE_CHECKING:  # pragma: no cover
    from lr_dataset.video.encode import VideoEncoderConfig

#: numpy dtype kinds the data parquet (and LeRobot's HF ``datasets`` schema) can hold
STORABLE_KINDS = frozenset("biuf")
STORABLE_DTYPES = (
    "bool, int8, int16, int32, int64, uint8, uint16, uint32, uint64, float16, float32, float64"
)
IMAGE_CHANNELS = (1, 3)


def check_features(
    features: Mapping[str, FeatureSpec], *, video_encoder: VideoEncoderConfig | None = None
) -> None:
    """Raise :class:`FeatureSpecError` for the first feature lr cannot store.

    With ``video_encoder``, video sizes are also tried with that encoder (a one-frame encode in
    memory, a few ms); without it only their structure is checked (the converter copies MP4s
    and encodes nothing).
    """
    for key, spec in features.items():
        check_feature(key, spec, video_encoder=video_encoder)


def check_feature(
    key: str, spec: FeatureSpec, *, video_encoder: VideoEncoderConfig | None = None
) -> None:
    """:func:`check_features` for one feature."""
    check_feature_key(key)
    if spec.dtype in ("string", "language"):
        return
    if spec.is_visual:
        _check_visual(key, spec, video_encoder)
        return
    _check_numeric(key, spec)


def _refuse(key: str, spec: FeatureSpec, problem: str, hint: str | None) -> FeatureSpecError:
    text = f"feature {key!r} ({spec.dtype}, shape {list(spec.shape)}): {problem}"
    return FeatureSpecError(f"{text}; {hint}" if hint else text)


def _check_numeric(key: str, spec: FeatureSpec) -> None:
    dtype = np.dtype(spec.dtype)
    if dtype.kind not in STORABLE_KINDS:
        raise _refuse(
            key,
            spec,
            f"dtype {spec.dtype!r} cannot be stored in the data parquet",
            f"use one of {STORABLE_DTYPES}",
        )
    shape = tuple(spec.shape)
    if any(d == 0 for d in shape):
        raise _refuse(
            key,
            spec,
            "a zero-length dimension holds no value, and parquet cannot store an empty "
            "fixed-size list",
            "leave the feature out of the dataset",
        )
    if len(shape) != 1:
        size = int(np.prod(shape)) if shape else 1
        hint = f"store it flattened, shape ({size},)" if shape else "give it shape (1,)"
        raise _refuse(key, spec, "numeric features are stored as scalars or 1-D vectors", hint)


def _check_visual(key: str, spec: FeatureSpec, encoder: VideoEncoderConfig | None) -> None:
    h, w, c = spec.shape  # FeatureSpec guarantees 3 dimensions for image/video
    channels_first = c > 4 and h in IMAGE_CHANNELS
    transposed = f"give it as (height, width, channels) = {(w, c, h)}" if channels_first else None
    if min(h, w, c) < 1:
        raise _refuse(key, spec, "a camera frame needs at least one pixel and channel", None)
    if spec.dtype == "image":
        if c not in IMAGE_CHANNELS:
            hint = transposed or "use 3 channels (RGB) or 1 (grey, depth)"
            raise _refuse(key, spec, "PNG frames hold 1 or 3 channels", hint)
        return
    if c != 3:
        if channels_first and h == 3 and (encoder is None or encoder.refuses_size(c, w) is None):
            hint = transposed
        elif c == 1 or (channels_first and h == 1):
            hint = "store it as dtype 'image' (PNG frames, 1 channel for grey or depth)"
        elif encoder is None or encoder.refuses_size(w, h) is None:
            hint = f"give it 3 channels (RGB), shape ({h}, {w}, 3)"
        else:
            hint = None
        raise _refuse(key, spec, "lr encodes RGB video (3 channels) only", hint)
    if encoder is None:
        return
    problem = encoder.refuses_size(w, h)
    if problem is None:
        return
    hint = None
    for nh, nw in _nearby_sizes(h, w):
        if encoder.refuses_size(nw, nh) is None:
            hint = f"a size {encoder.vcodec} accepts is ({nh}, {nw}, 3)"
            break
    raise _refuse(key, spec, f"the {encoder.vcodec} encoder refuses {w}x{h}: {problem}", hint)


def _nearby_sizes(h: int, w: int) -> list[tuple[int, int]]:
    """Close sizes to offer instead of one an encoder refuses (checked before being offered)."""

    def up(n: int, m: int) -> int:
        return max(m, n + (-n) % m)

    return [(up(h, 2), up(w, 2)), (up(h, 8), up(w, 8)), (up(h, 16), up(w, 16)), (64, 64)]
