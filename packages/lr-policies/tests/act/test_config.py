"""ACTConfig: LeRobot's names and defaults, round trips of LeRobot-written config.json files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from lr_core.errors import ConfigError
from lr_core.features import FeatureType, PolicyFeature
from lr_core.policy import PolicyConfig
from lr_policies.act.config import ACTConfig

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@pytest.mark.parametrize("name", ["act_default_v061.json", "act_default_v044.json"])
def test_lerobot_default_config_round_trips(name: str) -> None:
    data = json.loads((FIXTURES / "configs" / name).read_text())
    config = PolicyConfig.from_dict(data)
    assert isinstance(config, ACTConfig)
    dumped = config.to_dict()
    # Every key LeRobot wrote comes back with its value; 0.4.4 lacks pretrained_revision.
    assert {k: dumped[k] for k in data} == data
    assert set(dumped) - set(data) <= {"pretrained_revision"}
    assert ACTConfig().to_dict() | {"input_features": data["input_features"]} == dumped | {
        "device": None
    }


def test_checkpoint_config_round_trips() -> None:
    data = json.loads((FIXTURES / "peer" / "act_cam_v061" / "config.json").read_text())
    config = PolicyConfig.from_dict(data)
    assert config.to_dict() == data
    assert config.image_features == {
        "observation.images.top": PolicyFeature(type=FeatureType.VISUAL, shape=(3, 64, 96))
    }


def test_defaults_are_the_papers() -> None:
    c = ACTConfig()
    assert (c.chunk_size, c.n_action_steps, c.dim_model, c.n_heads) == (100, 100, 512, 8)
    assert (c.n_encoder_layers, c.n_decoder_layers, c.dim_feedforward) == (4, 1, 3200)
    assert c.use_vae and c.latent_dim == 32 and c.kl_weight == 10.0
    assert c.action_delta_indices == list(range(100))
    assert c.observation_delta_indices is None


@pytest.mark.parametrize(
    ("update", "needle"),
    [
        ({"temporal_ensemble_coeff": 0.01}, "n_action_steps must be 1"),
        ({"n_action_steps": 101}, "cannot exceed"),
        ({"vision_backbone": "vit"}, "ResNet"),
        ({"n_obs_steps": 2}, "one observation step"),
        ({"unknown_key": 1}, "unknown key"),
    ],
)
def test_invalid_values_are_named(update: dict, needle: str) -> None:
    with pytest.raises(ConfigError, match=needle):
        ACTConfig.from_dict({"type": "act", **update})


def test_validate_features_needs_camera_or_env_and_action() -> None:
    with pytest.raises(ConfigError, match="camera"):
        ACTConfig(
            output_features={"action": PolicyFeature(type="ACTION", shape=(2,))}
        ).validate_features()
    state_only = {"observation.environment_state": PolicyFeature(type="ENV", shape=(3,))}
    with pytest.raises(ConfigError, match="action"):
        ACTConfig(input_features=state_only).validate_features()


def test_config_module_imports_no_torch() -> None:
    code = (
        "import sys, json; from lr_core.policy import PolicyConfig; "
        "c = PolicyConfig.from_dict({'type': 'act'}); "
        "import lr_policies.diffusion.config; "
        "print(type(c).__name__, 'torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["ACTConfig", "False"]
