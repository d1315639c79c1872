"""The VLA configs: LeRobot 0.6.1's config.json files round-trip, defaults, window checks."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from lr_core.errors import ConfigError
from lr_core.policy import PolicyConfig
from lr_policies.optim import lr_factor, optimizer_preset, scheduler_preset
from lr_policies.pi0.config import PI0Config
from lr_policies.pi05.config import PI05Config
from lr_policies.smolvla.config import SmolVLAConfig

CONFIGS = Path(__file__).resolve().parents[1] / "fixtures" / "configs"


@pytest.mark.parametrize(
    ("name", "cls"),
    [
        ("smolvla_default_v061.json", SmolVLAConfig),
        ("smolvla_rtc_v061.json", SmolVLAConfig),
        ("pi0_default_v061.json", PI0Config),
        ("pi05_default_v061.json", PI05Config),
    ],
)
def test_lerobot_config_json_round_trips(name: str, cls: type) -> None:
    data = json.loads((CONFIGS / name).read_text())
    config = PolicyConfig.from_dict(data)
    assert type(config) is cls
    assert config.to_dict() == data  # every key, every value, nothing added
    defaults = cls(device="cpu").to_dict()
    assert defaults == data | ({"rtc_config": None} if "rtc" in name else {})


def test_defaults_are_lerobots() -> None:
    s = SmolVLAConfig()
    assert (s.chunk_size, s.n_action_steps, s.num_steps, s.num_vlm_layers) == (50, 50, 10, 16)
    assert s.freeze_vision_encoder and s.train_expert_only and s.expert_width_multiplier == 0.75
    assert s.observation_delta_indices == [0] and s.action_delta_indices == list(range(50))
    p = PI05Config()
    assert p.tokenizer_max_length == 200 and p.normalization_mapping["STATE"] == "QUANTILES"
    assert PI0Config().tokenizer_max_length == 48 and PI0Config().observation_delta_indices is None


@pytest.mark.parametrize("kind", ["smolvla", "pi0", "pi05"])
@pytest.mark.parametrize(
    ("update", "needle"),
    [
        ({"chunk_size": 0}, "chunk_size"),
        ({"chunk_size": -3}, "chunk_size"),
        ({"n_action_steps": 0}, "n_action_steps"),
        ({"n_action_steps": 51}, "cannot exceed chunk_size"),
        ({"n_obs_steps": 2}, "n_obs_steps"),
        ({"max_action_dim": 0}, "max_action_dim"),
        ({"rtc_config": {"execution_horizon": 60}}, "execution_horizon"),
        ({"rtc_config": {"max_guidance_weight": 0}}, "max_guidance_weight"),
    ],
)
def test_bad_windows_are_refused(kind: str, update: dict, needle: str) -> None:
    with pytest.raises(ConfigError, match=needle):
        PolicyConfig.from_dict({"type": kind, **update})


def test_type_specific_checks() -> None:
    with pytest.raises(ConfigError, match="not implemented"):
        PolicyConfig.from_dict({"type": "smolvla", "use_delta_joint_actions_aloha": True})
    with pytest.raises(ConfigError, match="paligemma_variant"):
        PolicyConfig.from_dict({"type": "pi0", "paligemma_variant": "gemma_7b"})
    with pytest.raises(ConfigError, match="square"):
        PolicyConfig.from_dict({"type": "pi05", "image_resolution": [224, 256]})


def test_features_are_checked() -> None:
    config = SmolVLAConfig(
        input_features={"observation.state": {"type": "STATE", "shape": [40]}},
        output_features={"action": {"type": "ACTION", "shape": [6]}},
    )
    with pytest.raises(ConfigError, match="camera"):
        config.validate_features()
    config = config.model_copy(update={"empty_cameras": 1})
    with pytest.raises(ConfigError, match="max_state_dim"):
        config.validate_features()
    assert config.camera_keys == ["observation.images.empty_camera_0"]


def test_training_presets_are_lerobots() -> None:
    s = SmolVLAConfig()
    opt = optimizer_preset(s)
    assert (opt.type, opt.lr, opt.betas, opt.weight_decay, opt.grad_clip_norm) == (
        "adamw",
        1e-4,
        (0.9, 0.95),
        1e-10,
        10.0,
    )
    sched = scheduler_preset(s)
    assert sched.type == "cosine_decay_with_warmup"
    # LeRobot's lambda: 1/(w+1) at step 0, 1 at the end of warm-up, decay_lr/peak at the end.
    assert lr_factor(sched, 0, 100_000) == pytest.approx(1 / 1001)
    alpha = 2.5e-6 / 1e-4  # the cosine counts from step 0, as LeRobot's
    assert lr_factor(sched, 1000, 100_000) == pytest.approx(
        (1 - alpha) * 0.5 * (1 + math.cos(math.pi / 30)) + alpha
    )
    assert lr_factor(sched, 30_000, 100_000) == pytest.approx(2.5e-6 / 1e-4)
    # A run shorter than the decay shrinks both spans (30k -> 3k: warm-up 100 steps).
    assert lr_factor(sched, 99, 3000) == pytest.approx((1 / 101 - 1) * (1 - 99 / 100) + 1)
    assert lr_factor(sched, 3000, 3000) == pytest.approx(2.5e-6 / 1e-4)
