"""DiffusionConfig: LeRobot's names and defaults, derived crop, validation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lr_core.errors import ConfigError
from lr_core.features import PolicyFeature
from lr_core.policy import PolicyConfig
from lr_policies.diffusion.config import DiffusionConfig

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@pytest.mark.parametrize("name", ["diffusion_default_v061.json", "diffusion_default_v044.json"])
def test_lerobot_default_config_round_trips(name: str) -> None:
    data = json.loads((FIXTURES / "configs" / name).read_text())
    config = PolicyConfig.from_dict(data)
    assert isinstance(config, DiffusionConfig)
    dumped = config.to_dict()
    assert {k: dumped[k] for k in data} == data
    assert set(dumped) - set(data) <= {"pretrained_revision", "gradient_checkpointing"}


def test_checkpoint_configs_round_trip() -> None:
    for case in ("diffusion_cam_v061", "diffusion_ddim_v061"):
        data = json.loads((FIXTURES / "peer" / case / "config.json").read_text())
        assert PolicyConfig.from_dict(data).to_dict() == data


def test_defaults_and_delta_indices() -> None:
    c = DiffusionConfig()
    assert (c.n_obs_steps, c.horizon, c.n_action_steps) == (2, 64, 32)
    assert c.down_dims == (512, 1024, 2048) and c.noise_scheduler_type == "DDPM"
    assert c.observation_delta_indices == [-1, 0]
    assert c.action_delta_indices == list(range(-1, 63))


def test_resize_derives_the_crop() -> None:
    assert DiffusionConfig(resize_shape=(100, 120), crop_ratio=0.9).crop_shape == (90, 108)
    assert DiffusionConfig(resize_shape=(100, 120), crop_shape=(84, 84)).crop_shape is None


@pytest.mark.parametrize(
    ("update", "needle"),
    [
        ({"horizon": 30}, "multiple"),
        ({"noise_scheduler_type": "PNDM"}, "DDPM"),
        ({"prediction_type": "v_prediction"}, "epsilon"),
        ({"crop_ratio": 0.0}, "crop_ratio"),
        ({"num_inference_steps": 101}, "num_inference_steps"),
    ],
)
def test_invalid_values_are_named(update: dict, needle: str) -> None:
    with pytest.raises(ConfigError, match=needle):
        DiffusionConfig.from_dict({"type": "diffusion", **update})


def test_validate_features() -> None:
    action = {"action": PolicyFeature(type="ACTION", shape=(2,))}
    state = {"observation.state": PolicyFeature(type="STATE", shape=(2,))}
    with pytest.raises(ConfigError, match="camera"):
        DiffusionConfig(input_features=state, output_features=action).validate_features()
    cams = state | {
        "observation.images.a": PolicyFeature(type="VISUAL", shape=(3, 32, 32)),
        "observation.images.b": PolicyFeature(type="VISUAL", shape=(3, 48, 48)),
    }
    with pytest.raises(ConfigError, match="one shape"):
        DiffusionConfig(input_features=cams, output_features=action).validate_features()
    one_cam = state | {"observation.images.a": PolicyFeature(type="VISUAL", shape=(3, 32, 32))}
    with pytest.raises(ConfigError, match="does not fit"):
        DiffusionConfig(
            input_features=one_cam, output_features=action, crop_shape=(40, 40)
        ).validate_features()
