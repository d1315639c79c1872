"""Aggregation functions f(old, new): how an action already queued for a control step is merged
with a newer prediction for the same step.

LeRobot's four (``lerobot/async_inference/configs.py``, ``AGGREGATE_FUNCTIONS``), same weights::

    weighted_average   0.3 · old + 0.7 · new      (LeRobot's default)
    latest_only        new
    average            0.5 · old + 0.5 · new
    conservative       0.7 · old + 0.3 · new

and ACT's temporal ensembling (Zhao et al. 2023, "Learning Fine-Grained Bimanual Manipulation
with Low-Cost Hardware", §3.3 / Algorithm 2; LeRobot's ``ACTTemporalEnsembler``): every
prediction made for a step is averaged with weights ``w_i = exp(-m · i)``, ``w_0`` for the
oldest, so older predictions weigh more for ``m > 0``. It needs to know how many predictions
an entry already holds, hence the third argument ``n``.

Every function takes ``(old, new, n)``: ``old`` and ``new`` are ``(D_action,)`` float arrays,
``n ≥ 1`` the number of predictions already folded into ``old``; it returns the merged action.
Register your own under a name (then ``--aggregate_fn_name=name``), or give ``module:function``::

    from lr_inference import register_aggregate_fn

    @register_aggregate_fn("median_of_two")
    def median_of_two(old, new):           # two-argument functions are accepted too
        return (old + new) / 2
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from functools import partial
from typing import Protocol

import numpy as np

from lr_core.errors import ConfigError, PluginError
from lr_core.registry import load_object, unknown_name_message

#: Default ``m`` of temporal ensembling (LeRobot's ACT ``temporal_ensemble_coeff``).
TEMPORAL_ENSEMBLE_COEFF = 0.01


class AggregateFn(Protocol):
    """``f(old, new, n) -> merged``; see the module docstring."""

    def __call__(self, old: np.ndarray, new: np.ndarray, n: int, /) -> np.ndarray: ...


def weighted_average(old: np.ndarray, new: np.ndarray, n: int = 1) -> np.ndarray:
    """``0.3 · old + 0.7 · new`` (LeRobot's default)."""
    return 0.3 * old + 0.7 * new


def latest_only(old: np.ndarray, new: np.ndarray, n: int = 1) -> np.ndarray:
    """The newest prediction replaces the old one."""
    return new


def average(old: np.ndarray, new: np.ndarray, n: int = 1) -> np.ndarray:
    """``0.5 · old + 0.5 · new``."""
    return 0.5 * old + 0.5 * new


def conservative(old: np.ndarray, new: np.ndarray, n: int = 1) -> np.ndarray:
    """``0.7 · old + 0.3 · new``."""
    return 0.7 * old + 0.3 * new


def temporal_ensemble(
    old: np.ndarray, new: np.ndarray, n: int, coeff: float = TEMPORAL_ENSEMBLE_COEFF
) -> np.ndarray:
    """Running ACT ensemble: ``old`` is the weighted mean of ``n`` predictions with weights
    ``exp(-coeff · i)``, ``i = 0..n-1``; fold in ``new`` with weight ``exp(-coeff · n)``.

    Same arithmetic as ACT's ensembler (``(old · W_n + new · w_n) / W_{n+1}`` with ``W`` the
    cumulative weights), in ``old``'s dtype.
    """
    dtype = np.result_type(old, np.float32)
    cumsum_n = _cumulative_weight(coeff, n, dtype)
    cumsum_next = _cumulative_weight(coeff, n + 1, dtype)
    weight = dtype.type(math.exp(-coeff * n))
    return (old * cumsum_n + new * weight) / cumsum_next


def _cumulative_weight(coeff: float, n: int, dtype: np.dtype) -> np.generic:
    """``Σ_{i<n} exp(-coeff · i)``."""
    if coeff == 0:
        return dtype.type(n)
    ratio = math.exp(-coeff)
    return dtype.type((1 - ratio**n) / (1 - ratio))


AGGREGATE_FUNCTIONS: dict[str, AggregateFn] = {
    "weighted_average": weighted_average,
    "latest_only": latest_only,
    "average": average,
    "conservative": conservative,
    "temporal_ensemble": temporal_ensemble,
}


def register_aggregate_fn(
    name: str, fn: Callable[..., np.ndarray] | None = None
) -> Callable[..., np.ndarray]:
    """Register ``fn`` (``f(old, new)`` or ``f(old, new, n)``) as ``name``; usable as a
    decorator. Raises :class:`ConfigError` if ``name`` is taken by another function."""

    def register(function: Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
        existing = AGGREGATE_FUNCTIONS.get(name)
        if existing is not None and existing is not function:
            raise ConfigError(f"aggregate function {name!r} is already registered ({existing})")
        AGGREGATE_FUNCTIONS[name] = _three_arguments(function)
        return function

    return register if fn is None else register(fn)


def get_aggregate_fn(
    name: str, *, temporal_ensemble_coeff: float = TEMPORAL_ENSEMBLE_COEFF
) -> AggregateFn:
    """The function registered as ``name``, or imported from ``"module:function"``.

    ``temporal_ensemble_coeff`` sets ``m`` of ``temporal_ensemble``. Raises
    :class:`ConfigError` for an unknown name (listing the registered ones).
    """
    if name == "temporal_ensemble":
        return partial(temporal_ensemble, coeff=temporal_ensemble_coeff)
    if name in AGGREGATE_FUNCTIONS:
        return AGGREGATE_FUNCTIONS[name]
    if ":" in name:
        try:
            function = load_object(name)
        except PluginError as exc:
            raise ConfigError(f"aggregate_fn_name {name!r}: {exc}") from exc
        if not callable(function):
            raise ConfigError(f"aggregate_fn_name {name!r} is not callable")
        return _three_arguments(function)
    raise ConfigError(
        unknown_name_message("aggregate function", name, list(AGGREGATE_FUNCTIONS))
        + " Register one with lr_inference.register_aggregate_fn, or give 'module:function'."
    )


def _three_arguments(function: Callable[..., np.ndarray]) -> AggregateFn:
    """Wrap a two-argument ``f(old, new)`` (LeRobot's form) to take ``n`` too."""
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return function  # a builtin: trust it
    positional = [
        p
        for p in parameters
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty
    ]
    variadic = any(p.kind == p.VAR_POSITIONAL for p in parameters)
    if len(positional) == 2 and not variadic:
        return lambda old, new, n: function(old, new)
    return function
