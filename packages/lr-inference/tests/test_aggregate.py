"""Aggregation functions: LeRobot's four with its weights, ACT's temporal ensembling, and
user-registered functions."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lr_core.errors import ConfigError
from lr_inference.action_queue import ActionQueue
from lr_inference.aggregate import (
    AGGREGATE_FUNCTIONS,
    get_aggregate_fn,
    register_aggregate_fn,
)

OLD = np.array([10.0, -4.0, 0.0], dtype=np.float32)
NEW = np.array([20.0, 6.0, 1.0], dtype=np.float32)


@pytest.mark.parametrize(
    ("name", "old_weight"),
    [("weighted_average", 0.3), ("latest_only", 0.0), ("average", 0.5), ("conservative", 0.7)],
)
def test_lerobot_functions_use_lerobots_weights(name, old_weight):
    merged = get_aggregate_fn(name)(OLD, NEW, 1)
    np.testing.assert_allclose(merged, old_weight * OLD + (1 - old_weight) * NEW, rtol=1e-6)


def test_temporal_ensemble_is_the_exponentially_weighted_mean_of_all_predictions():
    """ACT (Zhao et al. 2023, Algorithm 2): w_i = exp(-m·i), w_0 for the oldest prediction."""
    m = 0.1
    fn = get_aggregate_fn("temporal_ensemble", temporal_ensemble_coeff=m)
    predictions = [np.array([float(k), 2.0 * k], dtype=np.float32) for k in (3, -1, 7, 2)]
    merged = predictions[0]
    for n, new in enumerate(predictions[1:], start=1):
        merged = fn(merged, new, n)
    weights = np.exp(-m * np.arange(len(predictions)))
    expected = (weights[:, None] * np.stack(predictions)).sum(0) / weights.sum()
    np.testing.assert_allclose(merged, expected, rtol=1e-5)
    assert merged.dtype == np.float32


def test_temporal_ensemble_in_a_queue_matches_acts_own_ensembler():
    torch = pytest.importorskip("torch")
    from lr_policies.act.model import TemporalEnsembler

    coeff, chunk = 0.01, 8
    rng = np.random.default_rng(0)
    chunks = rng.standard_normal((12, chunk, 3)).astype(np.float32)
    ensembler = TemporalEnsembler(coeff, chunk)
    queue = ActionQueue(get_aggregate_fn("temporal_ensemble", temporal_ensemble_coeff=coeff))
    for step, c in enumerate(chunks):
        expected = ensembler.update(torch.from_numpy(c[None]))[0].numpy()
        queue.merge(step, c)
        np.testing.assert_allclose(queue.pop(), expected, rtol=1e-5, atol=1e-6)


def test_user_functions_register_by_name_with_two_or_three_arguments():
    @register_aggregate_fn("test_max")
    def pick_max(old, new):
        return np.maximum(old, new)

    def count_weighted(old, new, n):
        return (old * n + new) / (n + 1)

    register_aggregate_fn("test_count_weighted", count_weighted)
    try:
        np.testing.assert_array_equal(get_aggregate_fn("test_max")(OLD, NEW, 5), [20, 6, 1])
        np.testing.assert_allclose(
            get_aggregate_fn("test_count_weighted")(OLD, NEW, 3), (3 * OLD + NEW) / 4
        )
        with pytest.raises(ConfigError, match="already registered"):
            register_aggregate_fn("test_max", count_weighted)
    finally:
        AGGREGATE_FUNCTIONS.pop("test_max", None)
        AGGREGATE_FUNCTIONS.pop("test_count_weighted", None)


def test_functions_load_from_module_paths_and_unknown_names_list_the_valid_ones():
    fn = get_aggregate_fn("numpy:maximum")
    np.testing.assert_array_equal(fn(OLD, NEW, 1), np.maximum(OLD, NEW))
    with pytest.raises(ConfigError, match=r"weighted_avrage.*Did you mean 'weighted_average'"):
        get_aggregate_fn("weighted_avrage")
    with pytest.raises(ConfigError, match="cannot import"):
        get_aggregate_fn("no_such_module_xyz:fn")


def test_temporal_ensemble_weights_follow_the_coefficient():
    fn = get_aggregate_fn("temporal_ensemble", temporal_ensemble_coeff=math.log(2))
    # two predictions: weights 1 and 1/2
    np.testing.assert_allclose(fn(np.float32([3.0]), np.float32([0.0]), 1), [2.0], rtol=1e-6)
