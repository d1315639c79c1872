"""Feature specs: validation, LeRobot info.json round trip, policy feature mapping."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from lr_core.errors import FeatureError
from lr_core.features import (
    DEFAULT_FEATURES,
    FeatureSpec,
    FeatureType,
    PolicyFeature,
    dataset_to_policy_features,
    feature_type,
    features_from_json,
    features_to_json,
    hw_to_dataset_features,
)

FIXTURES = Path(__file__).parent / "fixtures"


def lerobot_features() -> dict:
    return json.loads((FIXTURES / "lerobot_0.6.1_info.json").read_text())["features"]


def test_lerobot_features_block_round_trips_exactly():
    raw = lerobot_features()
    parsed = features_from_json(raw)
    assert features_to_json(parsed) == raw
    assert list(parsed) == list(raw)  # key order is kept


def test_lerobot_video_feature_is_visual_with_channels_first_policy_shape():
    spec = features_from_json(lerobot_features())["observation.images.front"]
    assert spec.is_visual
    assert spec.info is not None and spec.info["video.codec"] == "av1"
    assert spec.channels_first_shape == (3, 32, 48)
    assert spec.numpy_dtype == np.uint8


def test_unknown_keys_written_by_other_tools_are_kept():
    raw = {"dtype": "float32", "shape": [2], "names": ["x", "y"], "fps": 30}
    assert FeatureSpec.from_json(raw).to_json() == raw


def test_default_features_match_lerobot():
    raw = lerobot_features()
    for key, spec in DEFAULT_FEATURES.items():
        assert spec.to_json() == raw[key]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"dtype": "float33", "shape": [2]}, "float33"),
        ({"dtype": "video", "shape": [480, 640]}, "3-D shape"),
        ({"dtype": "float32", "shape": [2], "names": ["a", "b", "c"]}, "names has 3 entries"),
        ({"dtype": "float32", "shape": [-1]}, "negative"),
        ({"shape": [2]}, "dtype"),
    ],
)
def test_invalid_specs_name_the_feature_and_the_problem(raw, message):
    with pytest.raises(FeatureError) as err:
        FeatureSpec.from_json(raw, key="observation.state")
    assert "observation.state" in str(err.value)
    assert message in str(err.value)


def test_feature_names_with_a_slash_are_rejected():
    with pytest.raises(FeatureError, match="must not contain '/'"):
        features_from_json({"observation/state": {"dtype": "float32", "shape": [1]}})


def test_feature_types_follow_lerobot_rules():
    parsed = features_from_json(lerobot_features())
    kinds = {key: feature_type(key, spec) for key, spec in parsed.items()}
    assert kinds["observation.state"] is FeatureType.STATE
    assert kinds["action"] is FeatureType.ACTION
    assert kinds["observation.images.front"] is FeatureType.VISUAL
    assert kinds["observation.images.wrist"] is FeatureType.VISUAL
    assert kinds["next.reward"] is FeatureType.REWARD
    assert kinds["timestamp"] is None and kinds["index"] is None
    env = FeatureSpec(dtype="float32", shape=(16,))
    assert feature_type("observation.environment_state", env) is FeatureType.ENV
    lang = FeatureSpec(dtype="language", shape=(1,))
    assert feature_type("language_instruction", lang) is FeatureType.LANGUAGE


def test_dataset_to_policy_features_keeps_inputs_and_outputs_only():
    policy = dataset_to_policy_features(features_from_json(lerobot_features()))
    assert policy == {
        "observation.state": PolicyFeature(type=FeatureType.STATE, shape=(6,)),
        "action": PolicyFeature(type=FeatureType.ACTION, shape=(6,)),
        "observation.images.front": PolicyFeature(type=FeatureType.VISUAL, shape=(3, 32, 48)),
        "observation.images.wrist": PolicyFeature(type=FeatureType.VISUAL, shape=(3, 16, 16)),
    }
    # The form LeRobot writes into a policy's config.json.
    assert policy["observation.state"].model_dump(mode="json") == {"type": "STATE", "shape": [6]}


def test_hw_to_dataset_features_matches_lerobot_output():
    hw = {"shoulder_pan.pos": float, "gripper.pos": float, "front": (480, 640, 3)}
    observation = hw_to_dataset_features(hw, "observation")
    # What lerobot 0.6.1's hw_to_dataset_features returns for the same input.
    assert features_to_json(observation) == {
        "observation.state": {
            "dtype": "float32",
            "shape": [2],
            "names": ["shoulder_pan.pos", "gripper.pos"],
        },
        "observation.images.front": {
            "dtype": "video",
            "shape": [480, 640, 3],
            "names": ["height", "width", "channels"],
            "info": {"is_depth_map": False},
        },
    }
    action = hw_to_dataset_features({"shoulder_pan.pos": float}, "action")
    assert features_to_json(action) == {
        "action": {"dtype": "float32", "shape": [1], "names": ["shoulder_pan.pos"]}
    }
    images = hw_to_dataset_features({"depth": (4, 4, 1)}, "observation", use_video=False)
    assert images["observation.images.depth"].dtype == "image"
    assert images["observation.images.depth"].info == {"is_depth_map": True}


def test_hw_to_dataset_features_rejects_bad_camera_shapes():
    with pytest.raises(FeatureError, match="front"):
        hw_to_dataset_features({"front": (480, 640, 4)}, "observation")
    with pytest.raises(FeatureError, match="neither float"):
        hw_to_dataset_features({"x": str}, "observation")


# --------------------------------------------------------------------------- LeRobot dict access
def test_a_spec_reads_like_lerobots_feature_dict():
    """LeRobot loads info.json features as dicts with tuple shapes; code indexes them."""
    state = FeatureSpec.from_json({"dtype": "float32", "shape": [2], "names": ["a", "b"]})
    assert state["dtype"] == "float32" and state["shape"] == (2,) and state["names"] == ["a", "b"]
    assert state.get("info") is None and "info" not in state and "names" in state
    assert state.get("missing", 7) == 7
    with pytest.raises(KeyError):
        state["info"]
    assert list(state) == ["dtype", "shape", "names"] == list(state.keys())
    assert dict(state) == {"dtype": "float32", "shape": (2,), "names": ["a", "b"]}
    assert {**state, "shape": (3,)}["shape"] == (3,)
    assert dict(state.items()) == dict(state) and len(state) == 3
    assert state == {"dtype": "float32", "shape": [2], "names": ["a", "b"]}
    assert state != {"dtype": "float64", "shape": (2,), "names": ["a", "b"]}
    cam = FeatureSpec.from_json(
        {
            "dtype": "video",
            "shape": [4, 6, 3],
            "names": ["height", "width", "channels"],
            "info": {"video.codec": "av1"},
        }
    )
    assert (cam.get("info") or {}).get("is_depth_map", False) is False
    assert cam["info"]["video.codec"] == "av1" and "info" in cam


def test_dict_access_never_changes_the_spec():
    spec = FeatureSpec(dtype="float32", shape=(2,), names=["a", "b"])
    spec["names"].append("c")  # a copy, as editing a loaded dict never edits the file
    assert spec.names == ["a", "b"]
    with pytest.raises(TypeError, match="model_copy"):
        spec["names"] = ["x", "y"]
    assert spec == FeatureSpec(dtype="float32", shape=(2,), names=["a", "b"])
    assert hash(spec) == hash(FeatureSpec(dtype="float32", shape=(2,), names=["a", "b"]))
