"""Raw robot observations become the dataset-keyed arrays the server asked for."""

from __future__ import annotations

import numpy as np
import pytest

from lr_core.errors import FeatureError
from lr_inference.observation import ObservationBuilder, features_of_batch, robot_features


class TwoMotorRobot:
    observation_features = {"a.pos": float, "b.pos": float, "front": (4, 6, 3)}
    action_features = {"a.pos": float, "b.pos": float}


def test_robot_observations_are_gathered_into_dataset_keys():
    features = robot_features(TwoMotorRobot())
    assert features["observation.state"].names == ["a.pos", "b.pos"]
    assert features["observation.images.front"].shape == (4, 6, 3)
    assert features["action"].names == ["a.pos", "b.pos"]
    build = ObservationBuilder(features, ["observation.state", "observation.images.front"])
    frame = np.full((4, 6, 3), 7, np.uint8)
    out = build({"a.pos": 1.5, "b.pos": -2, "front": frame, "extra": 3})
    assert set(out) == {"observation.state", "observation.images.front"}
    np.testing.assert_array_equal(out["observation.state"], np.float32([1.5, -2]))
    assert out["observation.state"].dtype == np.float32
    assert out["observation.images.front"] is frame or np.shares_memory(
        out["observation.images.front"], frame
    )
    # dataset-keyed observations (a simulation env's) pass through
    same = build({"observation.state": np.float32([0, 1]), "observation.images.front": frame})
    np.testing.assert_array_equal(same["observation.state"], [0, 1])


def test_missing_values_and_unknown_keys_are_named():
    features = robot_features(TwoMotorRobot())
    build = ObservationBuilder(features, ["observation.state"])
    with pytest.raises(FeatureError, match="lacks 'b.pos'"):
        build({"a.pos": 1.0})
    with pytest.raises(FeatureError, match="observation.images.wrist"):
        ObservationBuilder(features, ["observation.images.wrist"])


def test_batched_env_observations_describe_their_features():
    features = features_of_batch(
        {
            "observation.state": np.zeros((3, 6), np.float32),
            "observation.images.top": np.zeros((3, 8, 10, 3), np.uint8),
        }
    )
    assert features["observation.state"].shape == (6,)
    assert features["observation.images.top"].channels_first_shape == (3, 8, 10)
    with pytest.raises(FeatureError, match="uint8"):
        features_of_batch({"observation.images.top": np.zeros((3, 8, 10, 3), np.float32)})
