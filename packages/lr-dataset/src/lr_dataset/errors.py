"""Errors raised by lr-dataset (all subclasses of :class:`lr_core.errors.DataError`)."""

from __future__ import annotations

from lr_core.errors import DataError, FeatureError, MissingDependencyError


class DatasetFormatError(DataError, ValueError):
    """A dataset file is missing, malformed, or of an unsupported version; names the file."""


class FrameValidationError(FeatureError, DataError):
    """A frame given to ``add_frame`` does not match the declared features; names the key."""


class FeatureSpecError(FeatureError, DataError):
    """A feature spec lr cannot store (dtype, shape, channels, a size the encoder refuses);
    names the feature and, when there is one, a storable alternative."""


class FrameTimestampError(DataError, ValueError):
    """A requested timestamp has no video frame within ``tolerance_s``; names key, episode, time."""


class VideoEncoderError(DataError, RuntimeError):
    """A video encoder is unavailable in PyAV's FFmpeg build, or encoding failed."""


class DatasetWriteError(DataError, RuntimeError):
    """The dataset cannot be written (root exists, finalized dataset, empty episode...)."""


class DatasetFetchError(DataError, OSError):
    """A remote dataset file could not be read after bounded retries; names the URL, the byte
    range and the last failure."""


__all__ = [
    "DataError",
    "DatasetFetchError",
    "DatasetFormatError",
    "DatasetWriteError",
    "FeatureSpecError",
    "FrameTimestampError",
    "FrameValidationError",
    "MissingDependencyError",
    "VideoEncoderError",
]
