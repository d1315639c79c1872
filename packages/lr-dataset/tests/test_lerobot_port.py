"""Code written for LeRobot runs on lr datasets unchanged (snippets taken from LeRobot 0.6.1)."""

from __future__ import annotations

from pathlib import Path

from lr_core.features import FeatureType, PolicyFeature, dataset_to_policy_features
from lr_dataset import LeRobotDatasetMetadata
from lr_dataset.dataset import LeRobotDataset

FIXTURES = Path(__file__).parent / "fixtures"
ACTION, OBS_STATE, OBS_STR, OBS_ENV_STATE = (
    "action",
    "observation.state",
    "observation",
    "observation.environment_state",
)


def _lerobot_dataset_to_policy_features(features):
    """lerobot/utils/feature_utils.py: dataset_to_policy_features (0.6.1), verbatim logic."""
    policy_features = {}
    for key, ft in features.items():
        shape = ft["shape"]
        if ft["dtype"] in ["image", "video"]:
            type = FeatureType.VISUAL
            if len(shape) != 3:
                raise ValueError(f"Number of dimensions of {key} != 3 (shape={shape})")
            else:
                names = ft["names"]
                if names[2] in ["channel", "channels"]:  # (h, w, c) -> (c, h, w)
                    shape = (shape[2], shape[0], shape[1])
        elif key == OBS_ENV_STATE:
            type = FeatureType.ENV
        elif key.startswith(OBS_STR):
            type = FeatureType.STATE
        elif key.startswith(ACTION):
            type = FeatureType.ACTION
        else:
            continue
        policy_features[key] = PolicyFeature(type=type, shape=shape)
    return policy_features


def _lerobot_hf_feature_kinds(features):
    """lerobot/datasets/feature_utils.py: get_hf_features_from_features' decisions."""
    kinds = {}
    for key, ft in features.items():
        if ft["dtype"] == "video":
            continue
        elif ft["dtype"] == "image":
            kinds[key] = "Image"
        elif ft["shape"] == (1,):
            kinds[key] = f"Value({ft['dtype']})"
        elif len(ft["shape"]) == 1:
            kinds[key] = f"Sequence({ft['shape'][0]}, {ft['dtype']})"
        else:
            raise ValueError(f"Corresponding feature is not valid: {ft}")
    return kinds


def test_lerobot_feature_code_runs_on_meta_features():
    meta = LeRobotDatasetMetadata("peer/x", root=FIXTURES / "lerobot-0.6.1-video")
    features = meta.features
    assert _lerobot_dataset_to_policy_features(features) == dataset_to_policy_features(features)
    assert _lerobot_hf_feature_kinds(features) == {
        "observation.state": "Sequence(6, float32)",
        "action": "Sequence(6, float32)",
        "next.reward": "Value(float32)",
        "timestamp": "Value(float32)",
        "frame_index": "Value(int64)",
        "episode_index": "Value(int64)",
        "index": "Value(int64)",
        "task_index": "Value(int64)",
    }
    # scripts/augment_dataset_quantile_stats.py
    image_keys = [k for k in features if features[k]["dtype"] in ("image", "video")]
    assert image_keys == ["observation.images.front"]
    # policies/factory.py, scripts/lerobot_replay.py, policies/vla_jepa
    assert features.get(ACTION, {}).get("names") == [f"j{i}" for i in range(6)]
    for i, name in enumerate(features[ACTION]["names"]):
        assert name == f"j{i}"
    assert features[OBS_STATE]["shape"][0] == 6
    # datasets/dataset_writer.py and compute_stats.py
    scalar = [
        k for k, ft in features.items() if tuple(ft["shape"]) == (1,) and ft["dtype"] != "string"
    ]
    assert "next.reward" in scalar and "observation.state" not in scalar
    cam = features["observation.images.front"]
    assert (cam.get("info") or {}).get("is_depth_map", False) is False
    assert cam["info"]["video.codec"] == "av1" and cam["shape"] == (32, 48, 3)


def test_dataset_features_too():
    ds = LeRobotDataset("peer/x", root=FIXTURES / "lerobot-0.6.1-video")
    assert {k: ft["dtype"] for k, ft in ds.features.items()}["observation.images.front"] == "video"
    assert ds.meta.features["action"] == {
        "dtype": "float32",
        "shape": (6,),
        "names": [f"j{i}" for i in range(6)],
    }
