"""Errors raised by lr-policies (branches of the lr_core error tree)."""

from __future__ import annotations

from lr_core.errors import DataError, LrError


class CheckpointError(DataError):
    """A policy checkpoint (``config.json``, ``model.safetensors``, processor or training-state
    files) is missing, malformed, or does not match the model it is loaded into."""


class PolicyError(LrError, ValueError):
    """A policy was given inputs or features it cannot work with."""
